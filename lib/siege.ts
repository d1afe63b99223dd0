// Reads siege's final report, as printed by siege 4.0.4 through 4.1.7, out of captured output.
//
// Formats (JoeDog/siege src/main.c):
// - text on stderr. 4.0.x: `Transactions:\t\t%12u hits`, times in `secs`, longest/shortest without a
//   unit (seconds). 4.1.x: `Transactions:\t\t%9u    hits`, response/longest/shortest in `ms`. Some
//   versions in between print `secs` after longest/shortest.
// - JSON on stdout when `json_output` is on; the values are always seconds, whatever the text uses.
//   4.0.5-4.0.8 print only the JSON; 4.1.x print the text report as well.

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

export type SiegeErrorKind = "connectionReset" | "connectionRefused" | "timeout" | "http5xx" | "other";

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

/** Classifies one siege error/alert line (ANSI colours allowed) by kind. */
export function classifySiegeError(line: string): SiegeErrorKind {
  const text = line.replace(ANSI, "").toLowerCase();
  if (text.includes("connection reset")) return "connectionReset";
  if (text.includes("connection refused")) return "connectionRefused";
  // src/sock.c: "read check timed out(%d)", "polled(%d) and discovered it's not ready",
  // "select and discovered it's not ready", "%d connection timed out."; checked before
  // "unable to connect" because that alert ends with errno's text, which may be a timeout.
  // Siege counts 408 as failed, like 5xx; scripts/rollout-test.sh shortens the verbose lines
  // ("HTTP/1.1 502     0.00 secs: ...", or with csv "HTTP/1.1,502,...") to "HTTP 502".
  if (/timed out|timeout|not ready|^http(?:\/[\d.]+)?[ ,]+408\b/.test(text)) return "timeout";
  if (text.includes("unable to connect")) return "connectionRefused";
  if (/^http(?:\/[\d.]+)?[ ,]+5\d\d\b/.test(text)) return "http5xx";
  return "other";
}
