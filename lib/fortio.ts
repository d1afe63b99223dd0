// fortio's record of every request (its access log) and its log of what went wrong, read and
// joined: each failed request timed, and classified by the log line fortio wrote while it ran.
//
// fortio v1.75.3 (periodic/periodic.go, fhttp/http_client.go, fortio.org/log): each of its threads
// sends its requests one after another, and writes one access-log line per request when it ends,
// `{"latency":<s>,"timestamp":<start, ns>,"thread":<n>,"iter":<n>,"ok":<bool>,"details":"<code>"}`,
// code -1 for a socket error. The socket error itself is only in fortio's log (JSON lines on stderr
// when it is no terminal), written by the same thread while that request ran: so the log line of a
// failed request is the one of its thread whose time falls between the request's start and end.
// The warm-up request each thread sends first is in the log but not in the access log.
import { ErrorKind } from "./errorKinds";

export interface FortioRecord {
  /** Start, seconds since the epoch. */
  startSeconds: number;
  latencySeconds: number;
  thread: number;
  /** HTTP status, or -1 for a socket error. */
  code: number;
}

export interface FortioLogLine {
  /** When it was logged, seconds since the epoch. */
  atSeconds: number;
  level: string;
  thread?: number;
  msg: string;
  err?: string;
  headerLength?: number;
  /** The status line fortio read, on its warning of a code that is not ok. */
  status?: string;
}

/** Lines that are JSON objects, parsed; anything else (fortio's human-readable summary) skipped. */
function jsonLines(text: string): Record<string, unknown>[] {
  return text.split("\n").flatMap((line) => {
    const trimmed = line.trim();
    if (!trimmed.startsWith("{")) return [];
    try {
      return [JSON.parse(trimmed) as Record<string, unknown>];
    } catch {
      return [];
    }
  });
}

/** The access log's lines (other lines, such as the log's own in a pod's mixed output, are skipped). */
export function parseAccessLog(text: string): FortioRecord[] {
  return jsonLines(text).flatMap((line) => {
    if (typeof line.timestamp !== "number" || typeof line.latency !== "number" || typeof line.thread !== "number") return [];
    return [{ startSeconds: line.timestamp / 1e9, latencySeconds: line.latency, thread: line.thread, code: Number(line.details) }];
  });
}

/** fortio's log lines (others skipped). */
export function parseFortioLog(text: string): FortioLogLine[] {
  return jsonLines(text).flatMap((line) => {
    if (typeof line.ts !== "number" || typeof line.msg !== "string") return [];
    const parsed: FortioLogLine = { atSeconds: line.ts, level: String(line.level), msg: line.msg };
    if (typeof line.thread === "number") parsed.thread = line.thread;
    if (typeof line.err === "string") parsed.err = line.err;
    if (typeof line.header_len === "number") parsed.headerLength = line.header_len;
    if (typeof line.status === "string") parsed.status = line.status;
    return [parsed];
  });
}

/** The kind of a socket error, by fortio's log line for it (fhttp/http_client.go's messages). */
export function classifyFortioError(line: FortioLogLine | undefined): ErrorKind {
  if (!line) return "other";
  const err = line.err ?? "";
  if (/connection refused/.test(err)) return "connectionRefused";
  if (/connection reset by peer/.test(err)) return "connectionReset";
  if (/i\/o timeout|Timeout error/.test(`${err} ${line.msg}`)) return "timeout";
  // The connection closed (FIN) before a complete response header: a proxy that exits, an app
  // that closes without answering.
  if (err === "EOF" && !line.headerLength) return "closedWithoutResponse";
  return "other";
}

/** A failed request: when it started, from the restart, and how it failed. */
export interface TimedFailure {
  atSeconds: number;
  kind: ErrorKind;
  /** The HTTP status, or -1. */
  code: number;
  /** Kind other: what it was, for a person to read (fortio's words for a socket error, or the status). */
  detail?: string;
}

/**
 * fortio's words for a socket error no kind names, on one line and short enough for a table; no
 * line at all says so.
 */
export function otherErrorDetail(line: FortioLogLine | undefined): string {
  if (!line) return "no log line while it ran";
  const text = `${line.msg}${line.err ? `: ${line.err}` : ""}${line.status ? ` (status ${line.status})` : ""}`.replace(/\s+/g, " ").trim();
  return text.length > 160 ? `${text.slice(0, 159)}…` : text;
}

const isSuccess = (code: number) => code >= 200 && code < 400;
/** An HTTP status that fails a request: a 5xx, a 408 (the server's timeout, as siege counts it), or another. */
const httpErrorKind = (code: number): ErrorKind => (code >= 500 ? "http5xx" : code === 408 ? "timeout" : "other");
/** fortio's log times are rounded to the microsecond. */
const slackSeconds = 1e-4;

/**
 * Every failed request, in order of its start, timed from `restartAt` and classified: an HTTP
 * error by its status, a socket error by its thread's last error line while it ran (a kept
 * connection found dead is retried once, and logged before the retry's own error). A socket error
 * of kind other takes its words from that line, or else from the thread's last warning while it
 * ran: a status line fortio cannot read is only a warning ("Non ok http code", with the status).
 */
export function timedFailures(records: FortioRecord[], log: FortioLogLine[], restartAt: number): TimedFailure[] {
  const linesByThread = new Map<number, FortioLogLine[]>();
  for (const line of log) {
    if ((line.level !== "err" && line.level !== "warn") || line.thread === undefined) continue;
    const lines = linesByThread.get(line.thread) ?? [];
    lines.push(line);
    linesByThread.set(line.thread, lines);
  }
  return records
    .filter((r) => !isSuccess(r.code))
    .sort((a, b) => a.startSeconds - b.startSeconds)
    .map((r) => {
      const atSeconds = Math.round((r.startSeconds - restartAt) * 1000) / 1000;
      if (r.code !== -1) {
        const kind = httpErrorKind(r.code);
        return { atSeconds, kind, code: r.code, ...(kind === "other" && { detail: `HTTP status ${r.code}` }) };
      }
      const during = (linesByThread.get(r.thread) ?? []).filter(
        (line) => line.atSeconds >= r.startSeconds - slackSeconds && line.atSeconds <= r.startSeconds + r.latencySeconds + slackSeconds,
      );
      const lastOf = (level: string) => during.filter((line) => line.level === level).pop();
      const kind = classifyFortioError(lastOf("err"));
      return { atSeconds, kind, code: -1, ...(kind === "other" && { detail: otherErrorDetail(lastOf("err") ?? lastOf("warn")) }) };
    });
}

/** The value at quantile q (0 < q ≤ 1) of sorted values, by the nearest rank. */
export function quantile(sorted: number[], q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))];
}

/** An old pod's shutdown, in seconds from the restart: deleted, and gone (undefined: never seen gone). */
export interface PodWindow {
  deletedSeconds: number;
  goneSeconds?: number;
}

export interface FortioRun {
  records: FortioRecord[];
  log: FortioLogLine[];
  /** When the restart was sent, and when the load was stopped, seconds since the epoch. */
  restartAt: number;
  stopAt: number;
  /** The rate fortio was asked for, requests per second. */
  qps: number;
  pods: PodWindow[];
}

/**
 * From the first old pod's deletion to the last one's end (the load's stop for one never seen
 * gone), in seconds from the restart: where the rollout's failures are expected.
 */
export function shutdownWindow(pods: PodWindow[], stopSeconds: number): { from: number; to: number } | undefined {
  if (pods.length === 0) return undefined;
  return { from: Math.min(...pods.map((p) => p.deletedSeconds)), to: Math.max(...pods.map((p) => p.goneSeconds ?? stopSeconds)) };
}

const fixed = (value: number, digits: number) => value.toFixed(digits);

/**
 * fortio's study-* lines of scripts/rollout-test.sh, all times in seconds from the restart:
 *   study-requests: sent=<n> asked=<n> from=<s> to=<s>   (requests fortio started, and the rate times the time it ran)
 *   study-rate: outside=<req/s> shutdown=<req/s>          (requests started per second outside the shutdown window and in it)
 *   study-latency: <before|shutdown> p50=<s> p99=<s> p999=<s> n=<successful requests>
 *   study-failure: <s> <kind> <code>[ <detail>]           (every failed request, by its start; one of
 *                                                          kind other with what it was)
 * Requests that started after the stop (fortio's last, in flight) are left out.
 */
export function fortioSummaryLines(run: FortioRun): string[] {
  const records = run.records.filter((r) => r.startSeconds < run.stopAt).sort((a, b) => a.startSeconds - b.startSeconds);
  if (records.length === 0) return [];
  const relative = (r: FortioRecord) => r.startSeconds - run.restartAt;
  const from = relative(records[0]);
  const to = run.stopAt - run.restartAt;
  const lines = [`study-requests: sent=${records.length} asked=${Math.round(run.qps * (to - from))} from=${fixed(from, 3)} to=${fixed(to, 3)}`];
  const window = shutdownWindow(run.pods, to);
  const inWindow = (r: FortioRecord) => window !== undefined && relative(r) >= window.from && relative(r) <= window.to;
  if (window) {
    const inside = records.filter(inWindow).length;
    const windowLength = window.to - window.from;
    const outsideLength = to - from - windowLength;
    const rate = (count: number, seconds: number) => (seconds > 0 ? fixed(count / seconds, 1) : "0");
    lines.push(`study-rate: outside=${rate(records.length - inside, outsideLength)} shutdown=${rate(inside, windowLength)}`);
  }
  const latencies = (selected: FortioRecord[]) =>
    selected
      .filter((r) => isSuccess(r.code))
      .map((r) => r.latencySeconds)
      .sort((a, b) => a - b);
  const periods: [string, number[]][] = [["before", latencies(records.filter((r) => relative(r) < 0))]];
  if (window) periods.push(["shutdown", latencies(records.filter(inWindow))]);
  for (const [name, sorted] of periods) {
    if (sorted.length === 0) continue;
    const [p50, p99, p999] = [0.5, 0.99, 0.999].map((q) => fixed(quantile(sorted, q), 6));
    lines.push(`study-latency: ${name} p50=${p50} p99=${p99} p999=${p999} n=${sorted.length}`);
  }
  for (const failure of timedFailures(records, run.log, run.restartAt)) {
    lines.push(`study-failure: ${fixed(failure.atSeconds, 3)} ${failure.kind} ${failure.code}${failure.detail ? ` ${failure.detail}` : ""}`);
  }
  return lines;
}
