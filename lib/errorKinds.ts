/**
 * How a request failed: the one list of kinds, in the order tables and charts show them. Each
 * failed request is of exactly one kind, so the kinds add up to the failures.
 * - connectionReset: the connection was reset (RST) while the request was sent or awaited.
 * - connectionRefused: nothing accepted the connection.
 * - timeout: a connect or a response that did not complete within the load's timeout (or an HTTP 408).
 * - http5xx: an HTTP 5xx status (a proxy's 503 when the app behind it is gone).
 * - closedWithoutResponse: the connection was closed (FIN) before a complete response header, as
 *   when a proxy exits after its drain.
 * - other: anything else.
 */
export const ERROR_KINDS = ["connectionReset", "connectionRefused", "timeout", "http5xx", "closedWithoutResponse", "other"] as const;

export type ErrorKind = (typeof ERROR_KINDS)[number];
