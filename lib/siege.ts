// Reads siege's final report, as printed by siege 4.0.4 through 4.1.7, out of captured output, and
// tells the kind of failed request each of siege's failure lines stands for.
//
// Formats (JoeDog/siege src/main.c):
// - text on stderr. 4.0.x (and Debian's 4.1.6): `Transactions:\t\t%12u hits`, times in `secs`,
//   longest/shortest without a unit (seconds). 4.1.7: `Transactions:\t\t%9u    hits`,
//   response/longest/shortest in `ms`. Some versions in between print `secs` after longest/shortest.
// - JSON on stdout when `json_output` is on; the values are always seconds, whatever the text uses.
//   4.0.5-4.0.8 print only the JSON; some 4.1.x print the text report as well (Debian's 4.1.6 and
//   4.1.7 print only the JSON, like 4.0.7).

import type { ErrorKind } from "./errorKinds";

export interface SiegeReport {
  format: "text" | "json";
  transactions: number;
  availability: number;
  elapsedSeconds: number;
  dataTransferredMB: number;
  responseTimeSeconds: number;
  transactionRate: number;
  throughputMBps: number;
  concurrency: number;
  successfulTransactions: number;
  failedTransactions: number;
  longestTransactionSeconds: number;
  shortestTransactionSeconds: number;
}

export class SiegeReportError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "SiegeReportError";
  }
}

/** The kinds a siege line can give a failed request; the others come from siege's failed count. */
export type SiegeLineKind = Exclude<ErrorKind, "closedWithoutResponse">;

type Figures = Omit<SiegeReport, "format">;
type Field = keyof Figures;

const ANSI = /\x1b\[[0-9;]*[A-Za-z]/g;
const NUM = String.raw`(\d+(?:\.\d+)?)`;
const INT = String.raw`(\d+)`;
const TIME_UNIT = String.raw`(secs|ms)`;

/** Report lines, matched after trimming; a figure printed in `ms` is converted to seconds. */
const TEXT_LINES: ReadonlyArray<[Field, RegExp]> = [
  ["transactions", new RegExp(`^Transactions:\\s*${INT}\\s*hits$`)],
  ["availability", new RegExp(`^Availability:\\s*${NUM}\\s*%$`)],
  ["elapsedSeconds", new RegExp(`^Elapsed time:\\s*${NUM}\\s*${TIME_UNIT}$`)],
  ["dataTransferredMB", new RegExp(`^Data transferred:\\s*${NUM}\\s*MB$`)],
  ["responseTimeSeconds", new RegExp(`^Response time:\\s*${NUM}\\s*${TIME_UNIT}$`)],
  ["transactionRate", new RegExp(`^Transaction rate:\\s*${NUM}\\s*trans/sec$`)],
  ["throughputMBps", new RegExp(`^Throughput:\\s*${NUM}\\s*MB/sec$`)],
  ["concurrency", new RegExp(`^Concurrency:\\s*${NUM}$`)],
  ["successfulTransactions", new RegExp(`^Successful transactions:\\s*${INT}$`)],
  ["failedTransactions", new RegExp(`^Failed transactions:\\s*${INT}$`)],
  // 4.0.x prints no unit here; the figure is seconds.
  ["longestTransactionSeconds", new RegExp(`^Longest transaction:\\s*${NUM}(?:\\s*${TIME_UNIT})?$`)],
  ["shortestTransactionSeconds", new RegExp(`^Shortest transaction:\\s*${NUM}(?:\\s*${TIME_UNIT})?$`)],
];
// Printed inside the report only with `debug`; it carries no field of ours.
const DEBUG_LINE = /^HTTP OK received:\s*\d+$/;

const JSON_KEYS: ReadonlyArray<[Field, string]> = [
  ["transactions", "transactions"],
  ["availability", "availability"],
  ["elapsedSeconds", "elapsed_time"],
  ["dataTransferredMB", "data_transferred"],
  ["responseTimeSeconds", "response_time"],
  ["transactionRate", "transaction_rate"],
  ["throughputMBps", "throughput"],
  ["concurrency", "concurrency"],
  ["successfulTransactions", "successful_transactions"],
  ["failedTransactions", "failed_transactions"],
  ["longestTransactionSeconds", "longest_transaction"],
  ["shortestTransactionSeconds", "shortest_transaction"],
];

const TEXT_START = /^[ \t]*Transactions:/gm;
const JSON_START = /\{\s*"transactions"\s*:/g;

/** Finds and parses siege's final report (text or JSON) in `output`; throws SiegeReportError quoting the last ~300 chars of output when no complete report is there. */
export function parseSiegeReport(output: string): SiegeReport {
  // Our own `study...` lines may quote siege text; they must never be read as siege's.
  const clean = output
    .replace(ANSI, "")
    .split(/\r?\n/)
    .filter((line) => !/^\s*study/.test(line))
    .join("\n");

  // Only the last report counts: an earlier, complete one would be a stale figure.
  const textAt = lastIndex(TEXT_START, clean);
  const jsonAt = lastIndex(JSON_START, clean);
  const figures =
    textAt < 0 && jsonAt < 0
      ? undefined
      : textAt > jsonAt
        ? parseText(clean.slice(textAt))
        : parseJson(clean.slice(jsonAt));
  if (!figures) throw incomplete(output);
  return { format: textAt > jsonAt ? "text" : "json", ...figures };
}

function lastIndex(pattern: RegExp, text: string): number {
  let at = -1;
  for (const match of text.matchAll(pattern)) at = match.index ?? at;
  return at;
}

function parseText(report: string): Figures | undefined {
  const found: Partial<Figures> = {};
  // The report is one block of lines; reading past its end could borrow figures from elsewhere.
  for (const raw of report.split("\n")) {
    const line = raw.trim();
    if (DEBUG_LINE.test(line)) continue;
    const hit = TEXT_LINES.find(([, pattern]) => pattern.test(line));
    if (!hit) break;
    const [field, pattern] = hit;
    if (field in found) break;
    const [, value, unit] = line.match(pattern) as RegExpMatchArray;
    found[field] = unit === "ms" ? Number(value) / 1000 : Number(value);
  }
  return complete(found);
}

function parseJson(fromStart: string): Figures | undefined {
  const end = fromStart.indexOf("}");
  if (end < 0) return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(fromStart.slice(0, end + 1));
  } catch {
    return undefined;
  }
  const object = parsed as Record<string, unknown>;
  const found: Partial<Figures> = {};
  for (const [field, key] of JSON_KEYS) {
    const value = object[key];
    if (typeof value === "number") found[field] = value;
  }
  return complete(found);
}

function complete(found: Partial<Figures>): Figures | undefined {
  const all = JSON_KEYS.every(([field]) => Number.isFinite(found[field]));
  return all ? (found as Figures) : undefined;
}

function incomplete(output: string): SiegeReportError {
  const tail = output.length > 300 ? `…${output.slice(-300)}` : output;
  return new SiegeReportError(
    output.trim() === ""
      ? "no complete siege report was found: the output is empty"
      : `no complete siege report was found; the output ends with:\n${tail}`,
  );
}

/**
 * The kind of failed request one siege line stands for (ANSI colours allowed): a line that ends a
 * failed request (scripts/summarize-siege.sh keeps only those, and counts each once), or a failed
 * response's verbose line as that script shortens it ("HTTP 502"). Checked in siege 4.0.7, 4.1.6
 * and 4.1.7 against local servers; the lines are sock.c's, with errno's text appended by NOTIFY:
 * - connectionReset: "socket: read error Connection reset by peer sock.c:635" (socket_read, no
 *   response header yet), or any line ending in errno's "Connection reset by peer" (a write, a
 *   connect).
 * - connectionRefused: "socket: unable to connect sock.c:282: Connection refused" (the connect
 *   completes with an error; on Linux the usual form), "socket: <thread> connection refused."
 *   (connect refused at once); any other "unable to connect" (no route to host, ...) as well.
 * - timeout: "socket: read check timed out(<timeout>) sock.c:273" (new_socket: the connect did not
 *   complete within siege's timeout; sock.c:384's "select and discovered it's not ready" comes with
 *   it and is not counted again), "socket: <thread> connection timed out.", an "unable to connect"
 *   ending in "Connection timed out", and HTTP 408, which siege fails. (The response has no timeout
 *   in these versions: socket_read's readiness check passes on a writable socket, and the blocking
 *   read waits until the server answers or closes.)
 * - http5xx: HTTP 500-509, which siege fails (510 and above it counts as successful).
 * - other: anything else, e.g. "unable to write to socket sock.c:<line>: Broken pipe", a resolver
 *   error, "socket: <thread> address is unavailable." (out of local ports), HTTP 418.
 * An older output may still carry the "not ready" line itself: it reads as a timeout, as it did.
 */
export function classifySiegeError(line: string): SiegeLineKind {
  const text = line.replace(ANSI, "").toLowerCase();
  if (text.includes("connection reset")) return "connectionReset";
  if (text.includes("connection refused")) return "connectionRefused";
  // Checked before "unable to connect", whose errno text may be a timeout. The verbose lines, as
  // scripts/rollout-test.sh shortens them ("HTTP 502"), or as siege prints them
  // ("HTTP/1.1 502     0.00 secs: ...", or with csv "HTTP/1.1,502,...").
  if (/timed out|timeout|not ready|^http(?:\/[\d.]+)?[ ,]+408\b/.test(text)) return "timeout";
  if (text.includes("unable to connect")) return "connectionRefused";
  if (/^http(?:\/[\d.]+)?[ ,]+5\d\d\b/.test(text)) return "http5xx";
  return "other";
}
