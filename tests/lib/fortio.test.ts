import {
  classifyFortioError,
  FortioLogLine,
  FortioRecord,
  fortioSummaryLines,
  otherErrorDetail,
  parseAccessLog,
  parseFortioLog,
  quantile,
  shutdownWindow,
  timedFailures,
} from "../../lib/fortio";
import { parseRolloutOutput } from "../../lib/rolloutOutput";

// Lines as fortio 1.75.3 writes them (captured against local servers on 127.0.0.1).
const accessLines = [
  '{"latency":0.000080,"timestamp":1795953780353558052,"thread":0,"iter":0,"ok":false,"details":"-1"}',
  '{"latency":0.000737,"timestamp":1795953792493478926,"thread":1,"iter":0,"ok":false,"details":"502"}',
  '{"latency":0.000594,"timestamp":1795955976187116043,"thread":0,"iter":0,"ok":true,"details":"200"}',
];
const logLines = [
  '{"ts":1795953780.353316,"level":"err","r":7,"file":"http_client.go","line":962,"msg":"Unable to connect","dest":{"IP":"127.0.0.1","Port":18001,"Zone":""},"err":"dial tcp 127.0.0.1:18001: connect: connection refused","numfd":11,"thread":0,"run":0}',
  '{"ts":1795953780.353633,"level":"err","r":9,"file":"http_client.go","line":962,"msg":"Unable to connect","dest":{"IP":"127.0.0.1","Port":18001,"Zone":""},"err":"dial tcp 127.0.0.1:18001: connect: connection refused","numfd":11,"thread":0,"run":0}',
  '{"ts":1795953792.494178,"level":"warn","r":8,"file":"http_client.go","line":1159,"msg":"Non ok http code","code":502,"status":"HTTP/1.1 502","thread":1,"run":0}',
];

test("parseAccessLog reads each request's start, latency, thread and code, and skips other lines", () => {
  const records = parseAccessLog([...accessLines, "Fortio 1.75.3 running at 20 queries per second", logLines[0]].join("\n"));
  expect(records).toHaveLength(3);
  expect(records[0]).toEqual({ startSeconds: 1795953780.353558, latencySeconds: 0.00008, thread: 0, code: -1 });
  expect(records.map((r) => r.code)).toEqual([-1, 502, 200]);
});

test("parseFortioLog reads each JSON log line, with the thread and the error", () => {
  const log = parseFortioLog([...logLines, accessLines[0], "All done 150 calls"].join("\n"));
  expect(log).toHaveLength(3);
  expect(log[1]).toMatchObject({ atSeconds: 1795953780.353633, level: "err", thread: 0, msg: "Unable to connect" });
  expect(log[1].err).toContain("connection refused");
  const warning = '{"ts":1795978994.869789,"level":"warn","r":1,"file":"http_client.go","line":1159,"msg":"Non ok http code","code":-1,"status":"HTTP/1.1 abc","thread":0,"run":0}';
  expect(parseFortioLog(warning)).toEqual([{ atSeconds: 1795978994.869789, level: "warn", thread: 0, msg: "Non ok http code", status: "HTTP/1.1 abc" }]);
});

describe("classifyFortioError", () => {
  const line = (msg: string, err?: string, headerLength?: number): FortioLogLine => ({ atSeconds: 0, level: "err", thread: 0, msg, err, headerLength });
  test.each([
    [line("Unable to connect", "dial tcp 127.0.0.1:1: connect: connection refused"), "connectionRefused"],
    [line("Unable to connect", "dial tcp 127.0.0.1:1: connect: connection reset by peer"), "connectionReset"],
    [line("Read error", "read tcp 127.0.0.1:2->127.0.0.1:1: read: connection reset by peer", 0), "connectionReset"],
    [line("Read error", "EOF", 0), "closedWithoutResponse"],
    [line("Read error", "EOF", 40), "other"],
    [line("Timeout error (incomplete/invalid response)", "read tcp 127.0.0.1:2->127.0.0.1:1: i/o timeout", 0), "timeout"],
    [line("Unable to connect", "dial tcp 127.0.0.1:1: i/o timeout"), "timeout"],
    [line("Unable to write", "write: broken pipe"), "other"],
    [undefined, "other"],
  ])("%j is %s", (given, kind) => expect(classifyFortioError(given)).toBe(kind));
});

describe("timedFailures", () => {
  const record = (startSeconds: number, code: number, thread = 0, latencySeconds = 0.01): FortioRecord => ({ startSeconds, latencySeconds, thread, code });
  const err = (atSeconds: number, thread: number, e: string): FortioLogLine => ({ atSeconds, level: "err", thread, msg: "Read error", err: e, headerLength: 0 });

  test("pairs each socket error with its thread's error line while it ran, not another thread's or request's", () => {
    const records = [record(100.0, -1, 0), record(100.0, -1, 1), record(100.5, -1, 0), record(100.2, 200, 0)];
    const log = [
      err(99.99, 0, "EOF"), // the thread's warm-up, before its first request
      err(100.005, 0, "read: connection reset by peer"),
      err(100.006, 1, "EOF"),
      err(100.505, 0, "EOF"),
    ];
    expect(timedFailures(records, log, 100)).toEqual([
      { atSeconds: 0, kind: "connectionReset", code: -1 },
      { atSeconds: 0, kind: "closedWithoutResponse", code: -1 },
      { atSeconds: 0.5, kind: "closedWithoutResponse", code: -1 },
    ]);
  });

  test("two failing requests back to back on one thread each keep their own kind: a line 2 ms after a request is the next one's", () => {
    // A refused connect ends in a fraction of a millisecond, and the thread's next request starts at
    // once; fortio's log times are rounded to the microsecond, so only that much slack is due.
    const records = [
      { startSeconds: 100.0, latencySeconds: 0.001, thread: 0, code: -1 },
      { startSeconds: 100.0015, latencySeconds: 0.002, thread: 0, code: -1 },
    ];
    const log = [err(100.0009, 0, "dial tcp 10.0.0.1:80: connect: connection refused"), err(100.0034, 0, "read: connection reset by peer")];
    expect(timedFailures(records, log, 100).map((f) => f.kind)).toEqual(["connectionRefused", "connectionReset"]);
  });

  test("a kept connection found dead is retried: the last error line while the request ran decides", () => {
    const log = [{ ...err(100.002, 0, "EOF"), level: "info", msg: "Closing dead socket" }, err(100.004, 0, "connect: connection refused")];
    expect(timedFailures([record(100, -1)], log, 100)[0].kind).toBe("connectionRefused");
  });

  test("HTTP errors by their status; a socket error with no line is other, still timed and counted, and says so", () => {
    expect(timedFailures([record(101, 503), record(102, 408), record(103, 404), record(104, -1)], [], 100)).toEqual([
      { atSeconds: 1, kind: "http5xx", code: 503 },
      { atSeconds: 2, kind: "timeout", code: 408 },
      { atSeconds: 3, kind: "other", code: 404, detail: "HTTP status 404" },
      { atSeconds: 4, kind: "other", code: -1, detail: "no log line while it ran" },
    ]);
  });

  test("with no error line, a socket error takes its words from the thread's warning while it ran", () => {
    const warn = { atSeconds: 100.001, level: "warn", thread: 0, msg: "Non ok http code", status: "HTTP/1.1 abc" };
    const elsewhere = { ...warn, thread: 1, status: "HTTP/1.1 xyz" };
    expect(timedFailures([record(100, -1)], [elsewhere, warn], 100)).toEqual([{ atSeconds: 0, kind: "other", code: -1, detail: "Non ok http code (status HTTP/1.1 abc)" }]);
  });

  test("a socket error of kind other keeps fortio's words for it, on one line", () => {
    const log = [{ atSeconds: 100.001, level: "err", thread: 0, msg: "Unable to write", err: "write tcp 127.0.0.1:2->127.0.0.1:1:\n  write: broken pipe" }];
    expect(timedFailures([record(100, -1)], log, 100)).toEqual([{ atSeconds: 0, kind: "other", code: -1, detail: "Unable to write: write tcp 127.0.0.1:2->127.0.0.1:1: write: broken pipe" }]);
  });
});

test("otherErrorDetail keeps a long message to 160 characters, and names a missing line", () => {
  const detail = otherErrorDetail({ atSeconds: 0, level: "err", msg: "x".repeat(200) });
  expect([detail.length, detail.endsWith("…"), otherErrorDetail({ atSeconds: 0, level: "err", msg: "Read error" })]).toEqual([160, true, "Read error"]);
  expect(otherErrorDetail(undefined)).toBe("no log line while it ran");
});

test("quantile takes the nearest rank", () => {
  const sorted = Array.from({ length: 1000 }, (_, i) => i + 1);
  expect([quantile(sorted, 0.5), quantile(sorted, 0.99), quantile(sorted, 0.999), quantile([7], 0.999)]).toEqual([500, 990, 999, 7]);
});

test("the shutdown window runs from the first deletion to the last end, or to the stop for a pod never seen gone", () => {
  expect(shutdownWindow([{ deletedSeconds: 0.4, goneSeconds: 11 }, { deletedSeconds: 6, goneSeconds: 17 }], 30)).toEqual({ from: 0.4, to: 17 });
  expect(shutdownWindow([{ deletedSeconds: 0.4 }], 30)).toEqual({ from: 0.4, to: 30 });
  expect(shutdownWindow([], 30)).toBeUndefined();
});

describe("fortioSummaryLines", () => {
  // 10 requests a second from t = -10 s to the stop at 20 s; those from 2 s to 4 s refused.
  const records: FortioRecord[] = [];
  for (let i = 0; i < 300; i++) {
    const t = -10 + i / 10;
    records.push({ startSeconds: 1000 + t, latencySeconds: t >= 2 && t < 4 ? 0.0001 : 0.002 + (i % 10) / 1000, thread: i % 2, code: t >= 2 && t < 4 ? -1 : 200 });
  }
  const log: FortioLogLine[] = records
    .filter((r) => r.code === -1)
    .map((r) => ({ atSeconds: r.startSeconds + 0.00005, level: "err", thread: r.thread, msg: "Unable to connect", err: "connect: connection refused" }));
  const lines = fortioSummaryLines({ records, log, restartAt: 1000, stopAt: 1020, qps: 10, pods: [{ deletedSeconds: 1, goneSeconds: 6 }] });

  test("requests sent and asked, and the rate sent outside the shutdown window and in it", () => {
    expect(lines[0]).toBe("study-requests: sent=300 asked=300 from=-10.000 to=20.000");
    expect(lines[1]).toBe("study-rate: outside=10.0 shutdown=10.2");
  });

  test("latency percentiles of the successful requests before the restart and during the shutdown", () => {
    expect(lines).toContain("study-latency: before p50=0.006000 p99=0.011000 p999=0.011000 n=100");
    expect(lines.find((l) => l.startsWith("study-latency: shutdown"))).toMatch(/ n=31$/);
  });

  test("every failed request, timed from the restart, with its kind", () => {
    const failures = lines.filter((l) => l.startsWith("study-failure: "));
    expect(failures).toHaveLength(20);
    expect(failures[0]).toBe("study-failure: 2.000 connectionRefused -1");
    expect(failures[19]).toBe("study-failure: 3.900 connectionRefused -1");
  });

  test("a failure of kind other ends its line with fortio's words, which the output's parser reads back", () => {
    const odd = { startSeconds: 1000.5, latencySeconds: 0.001, thread: 9, code: -1 };
    const line = { atSeconds: 1000.5005, level: "err", thread: 9, msg: "Unable to write", err: "write: broken pipe" };
    const summary = fortioSummaryLines({ records: [...records, odd], log: [...log, line], restartAt: 1000, stopAt: 1020, qps: 10, pods: [] });
    const failure = summary.find((l) => l.startsWith("study-failure: 0.500"));
    expect(failure).toBe("study-failure: 0.500 other -1 Unable to write: write: broken pipe");
    const parsed = parseRolloutOutput(["study-status: ok", "study-load: fortio", "study-sidecar: none", ...summary].join("\n"));
    expect(parsed.failures?.find((f) => f.kind === "other")).toEqual({ atSeconds: 0.5, kind: "other", code: -1, detail: "Unable to write: write: broken pipe" });
    expect(parsed.errors.other).toBe(1);
  });

  test("a request started before the stop and still running at it counts as sent, and as a failure once it failed", () => {
    // Sent 0.5 s before the stop, it hangs until fortio's 2 s timeout, which ends after the stop.
    const hanging = { startSeconds: 1019.5, latencySeconds: 2, thread: 5, code: -1 };
    const timeout = { atSeconds: 1021.5, level: "err", thread: 5, msg: "Unable to connect", err: "dial tcp 10.0.0.1:80: i/o timeout" };
    const summary = fortioSummaryLines({ records: [...records, hanging], log: [...log, timeout], restartAt: 1000, stopAt: 1020, qps: 10, pods: [] });
    expect(summary[0]).toBe("study-requests: sent=301 asked=300 from=-10.000 to=20.000");
    expect(summary.filter((l) => l.startsWith("study-failure: "))).toHaveLength(21);
    expect(summary).toContain("study-failure: 19.500 timeout -1");
  });

  test("a request started after the stop is left out; no request, no line", () => {
    const late = { startSeconds: 1021, latencySeconds: 0.001, thread: 0, code: -1 };
    expect(fortioSummaryLines({ records: [...records, late], log, restartAt: 1000, stopAt: 1020, qps: 10, pods: [] })[0]).toMatch(/sent=300 /);
    expect(fortioSummaryLines({ records: [], log: [], restartAt: 1000, stopAt: 1020, qps: 10, pods: [] })).toEqual([]);
  });
});
