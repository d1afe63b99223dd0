import { spawn } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { classifySiegeError, parseSiegeReport, SiegeReport, SiegeReportError } from "../../lib/siege";
import { json407, resetLine, seedHook, seedNoHook, text41x } from "../fixtures/siegeReports";
import { FlakyServer, startFlakyServer } from "../support/flakyServer";

function expectNoReport(output: string): string {
  let error: unknown;
  try {
    parseSiegeReport(output);
  } catch (caught) {
    error = caught;
  }
  expect(error).toBeInstanceOf(SiegeReportError);
  const message = (error as Error).message;
  expect(message).toMatch(/no complete siege report was found/);
  if (output.trim() !== "") expect(message).toContain(output.slice(-300));
  return message;
}

describe("parseSiegeReport on the seed README's examples", () => {
  test("the nohook run: 26 failures out of 127705 give the printed 99.98 %", () => {
    expect(parseSiegeReport(seedNoHook)).toEqual<SiegeReport>({
      format: "text",
      transactions: 127679,
      availability: 99.98,
      elapsedSeconds: 51.17,
      dataTransferredMB: 74.52,
      responseTimeSeconds: 0.01,
      transactionRate: 2495.19,
      throughputMBps: 1.46,
      concurrency: 24.25,
      successfulTransactions: 127679,
      failedTransactions: 26,
      longestTransactionSeconds: 0.14,
      shortestTransactionSeconds: 0,
    });
  });

  test("the hook run: 100 % availability and no failures", () => {
    const report = parseSiegeReport(seedHook);
    expect(report).toMatchObject({ format: "text", transactions: 89051, availability: 100, failedTransactions: 0 });
    expect(report.longestTransactionSeconds).toBe(0.12);
  });
});

describe("parseSiegeReport on other layouts", () => {
  test("reads siege 4.0.7's JSON object, pretty-printed with tabs", () => {
    expect(parseSiegeReport(json407)).toMatchObject({
      format: "json",
      transactions: 3769,
      availability: 100,
      elapsedSeconds: 1.85,
      transactionRate: 2037.3,
      successfulTransactions: 3769,
      failedTransactions: 0,
      longestTransactionSeconds: 0.01,
    });
  });

  test("converts 4.1.x's ms figures to seconds and accepts its `%9u    hits` spacing", () => {
    const report = parseSiegeReport("** SIEGE 4.1.7\n** Preparing 4 concurrent users for battle.\n" + text41x);
    expect(report).toMatchObject({ format: "text", transactions: 5120, availability: 97.49, failedTransactions: 132 });
    expect(report.responseTimeSeconds).toBeCloseTo(0.00157, 8);
    expect(report.longestTransactionSeconds).toBeCloseTo(0.0245, 8);
    expect(report.shortestTransactionSeconds).toBeCloseTo(0.00021, 8);
  });

  test("accepts `secs` after longest/shortest transaction, and spaces instead of tabs", () => {
    const output = seedNoHook
      .replace(/\t/g, "  ")
      .replace("Longest transaction:          0.14", "Longest transaction:  0.14 secs")
      .replace("Shortest transaction:          0.00", "Shortest transaction:  0.00 secs");
    expect(parseSiegeReport(output)).toMatchObject({ longestTransactionSeconds: 0.14, shortestTransactionSeconds: 0 });
  });

  test("skips the `HTTP OK received` line that debug mode adds inside the report", () => {
    const output = seedNoHook.replace("Failed transactions:", "HTTP OK received:\t      127679\nFailed transactions:");
    expect(parseSiegeReport(output).failedTransactions).toBe(26);
  });

  test("ignores ANSI-coloured errors, glued errors and our own study lines around the report", () => {
    const colouredReset = "[\x1b[1;33merror\x1b[0m] socket: read error Connection reset by peer sock.c:635: Connection reset by peer";
    const output =
      "study sidecar=classic\n" +
      "** SIEGE 4.0.7\n** Preparing 25 concurrent users for battle.\n" +
      `The server is now under siege...${colouredReset}\n` +
      `${colouredReset}\n` +
      `study-errors: 26 ${colouredReset}\n` +
      `Lifting the server siege...${colouredReset}\n` +
      seedNoHook.slice(seedNoHook.indexOf("Transactions:")) +
      'study result {"transactions": 1, "availability": 1}\n';
    expect(parseSiegeReport(output)).toMatchObject({ transactions: 127679, availability: 99.98, failedTransactions: 26 });
  });

  test("uses the last report when there are several", () => {
    expect(parseSiegeReport(seedNoHook + seedHook).transactions).toBe(89051);
    // 4.1.x with json_output prints the text report on stderr, then JSON on stdout.
    expect(parseSiegeReport(text41x + "\n" + json407).format).toBe("json");
    expect(parseSiegeReport(json407 + text41x).format).toBe("text");
  });

  test("reads the report that follows siege's excessive-failure abort notice", () => {
    const output =
      "siege aborted due to excessive socket failure; you\ncan change the failure threshold in $HOME/.siegerc\n" +
      seedNoHook.slice(seedNoHook.indexOf("Transactions:"));
    expect(parseSiegeReport(output).transactions).toBe(127679);
  });
});

describe("parseSiegeReport refuses anything but a complete report", () => {
  test.each<[string, string]>([
    ["empty output", ""],
    ["a text report cut after Elapsed time", seedNoHook.slice(0, seedNoHook.indexOf("Data transferred:"))],
    ["an abort without a report", "** SIEGE 4.0.7\nsiege aborted due to excessive socket failure; you\ncan change the failure threshold in $HOME/.siegerc\n"],
    ["garbage", "x".repeat(500) + "\nTransactions are fun\n{not json}"],
    ["a JSON object missing keys", json407.replace(/\t"failed_transactions".*\n/, "")],
    ["a JSON object cut short", json407.slice(0, json407.indexOf('"throughput"'))],
    ["a JSON value siege printed as nan", json407.replace("0.00,\n\t\"transaction_rate\"", "-nan,\n\t\"transaction_rate\"")],
    ["a text value that is not a number", seedNoHook.replace("0.01 secs", "-nan secs")],
    ["a complete report followed by a truncated one", seedHook + seedNoHook.slice(0, seedNoHook.indexOf("Concurrency:"))],
    [
      "a report whose lines are interrupted, not one block",
      seedNoHook.replace("Data transferred:", "Lifting the server siege...\nData transferred:"),
    ],
  ])("%s", (_name, output) => {
    expectNoReport(output);
  });

  test("quotes only the last ~300 characters of a long output", () => {
    const output = "start-marker\n" + resetLine.repeat(40);
    expect(expectNoReport(output)).not.toContain("start-marker");
  });
});

describe("classifySiegeError", () => {
  const colour = (code: string, text: string) => `\x1b[${code}m${text}\x1b[0m`;
  test.each<[string, string, string]>([
    ["a coloured read reset", `[${colour("1;33", "error")}] socket: read error Connection reset by peer sock.c:635: Connection reset by peer`, "connectionReset"],
    ["a reset quoted in a study line", "study-errors: 26 [error] socket: read error Connection reset by peer sock.c:635: Connection reset by peer", "connectionReset"],
    ["a refused connect glued to the banner", `The server is now under siege...[${colour("1;33", "error")}] socket: unable to connect sock.c:282: Connection refused`, "connectionRefused"],
    ["a refused connect by errno name", "[error] socket: 1397 connection refused.: Connection refused", "connectionRefused"],
    ["a read check timeout alert", `[${colour("1;32", "alert")}] socket: read check timed out(30) sock.c:376: Connection timed out`, "timeout"],
    // summarize-siege.sh no longer passes these on (their read check line counts the failure); an
    // older output that has them reads as it did.
    ["a select not-ready alert", "[alert] socket: select and discovered it's not ready sock.c:452: Connection timed out", "timeout"],
    ["a poll not-ready alert", "[alert] socket: polled(30) and discovered it's not ready sock.c:421: Connection timed out", "timeout"],
    ["a connect that timed out", "[error] socket: unable to connect sock.c:282: Connection timed out", "timeout"],
    ["siege 4.0.7-4.1.7's connect timeout, the line that ends it", "[alert] socket: read check timed out(1) sock.c:273: Connection timed out", "timeout"],
    ["siege 4.0.7-4.1.7's refused connect", `[${colour("1;33", "error")}] socket: unable to connect sock.c:282: Connection refused`, "connectionRefused"],
    ["a connect that timed out at once", "[error] socket: 1397 connection timed out.: Connection timed out", "timeout"],
    ["a connect to an address gone", "[error] socket: unable to connect sock.c:282: No route to host", "connectionRefused"],
    ["a request write reset", "[error] unable to write to socket sock.c:618: Connection reset by peer", "connectionReset"],
    ["out of local ports", "[error] socket: 1397 address is unavailable.: Cannot assign requested address", "other"],
    ["a resolver failure", "[error] Name or service not known: demo-site.demo-site.svc.cluster.local", "other"],
    ["a 418, which siege fails", "HTTP 418", "other"],
    ["a verbose 502 line", colour("0;31", "HTTP/1.1 502     0.00 secs:       3 bytes ==> GET  /"), "http5xx"],
    ["a csv verbose 503 line", "HTTP/1.1,503,  0.00,      3,/,1,2026-11-25 08:20:00", "http5xx"],
    ["a failed response as rollout-test.sh shortens it", "HTTP 502", "http5xx"],
    ["a 408, which siege counts as failed", "HTTP 408", "timeout"],
    ["a verbose 200 line", colour("0;34", "HTTP/1.1 200     0.00 secs:       3 bytes ==> GET  /"), "other"],
    ["a verbose 404 line", colour("0;35", "HTTP/1.1 404     0.00 secs:       3 bytes ==> GET  /"), "other"],
    ["a write failure", "[error] HTTP: unable to write to socket. http.c:321: Broken pipe", "other"],
  ])("%s", (_name, line, kind) => {
    expect(classifySiegeError(line)).toBe(kind);
  });
});

const haveSiege = (process.env.PATH ?? "")
  .split(path.delimiter)
  .some((dir) => dir !== "" && fs.existsSync(path.join(dir, "siege")));
if (!haveSiege) console.warn("siege is not on PATH: skipping the tests that run the real siege");

/**
 * Runs siege against `url` with an rc file of our own, in a throwaway HOME: 4 users of 25 requests
 * each, a count rather than a time, so that a busy machine slows the run down but never thins it out.
 */
function runSiege(url: string, json: boolean): Promise<string> {
  if (!url.startsWith("http://127.0.0.1:")) throw new Error(`refusing to siege a non-loopback URL: ${url}`);
  const home = fs.mkdtempSync(path.join(os.tmpdir(), "siege-test-"));
  const rc = path.join(home, "siegerc");
  fs.writeFileSync(
    rc,
    [`json_output = ${json}`, "parser = false", "connection = close", "failures = 1000000", "show-logfile = false", "logging = false", "benchmark = true", "timeout = 5", ""].join("\n"),
  );
  return new Promise((resolve, reject) => {
    // Async on purpose: the server runs in this process and must keep answering.
    const child = spawn("siege", ["-R", rc, "-c", "4", "-r", "25", url], { env: { ...process.env, HOME: home }, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (chunk) => (stdout += chunk));
    child.stderr.on("data", (chunk) => (stderr += chunk));
    // A request stuck past the time limit holds siege up to its socket timeout (5 s here): the
    // deadline leaves room for that on a loaded machine.
    const deadline = setTimeout(() => child.kill("SIGKILL"), 45_000);
    child.on("error", reject);
    child.on("close", (code, signal) => {
      clearTimeout(deadline);
      fs.rmSync(home, { recursive: true, force: true });
      if (code === 0) resolve(stdout + stderr);
      else reject(new Error(`siege ended with ${code ?? signal}: ${stderr.slice(-300)}`));
    });
  });
}

(haveSiege ? describe : describe.skip)("parseSiegeReport on reports from the real siege", () => {
  let server: FlakyServer;
  beforeAll(async () => {
    server = await startFlakyServer();
  });
  afterAll(() => server.close());

  test.each<["json" | "text", "reset" | "502"]>([
    ["json", "reset"],
    ["text", "reset"],
    ["json", "502"],
    ["text", "502"],
  ])("%s report with every 5th request meeting %s: availability below 100, as siege computes it", async (format, fault) => {
    server.fail(fault, 5);
    const output = await runSiege(server.url, format === "json");
    const report = parseSiegeReport(output);
    expect(report.format).toBe(format);
    expect(report.transactions).toBeGreaterThan(0);
    expect(report.failedTransactions).toBeGreaterThan(0);
    expect(report.availability).toBeLessThan(100);
    const expected = Math.round((10000 * report.transactions) / (report.transactions + report.failedTransactions)) / 100;
    expect(Math.abs(report.availability - expected)).toBeLessThanOrEqual(0.01);
    if (fault === "reset") {
      const errors = output.split("\n").filter((line) => line.includes("error"));
      expect(errors.length).toBeGreaterThan(0);
      expect(errors.map(classifySiegeError)).toEqual(errors.map(() => "connectionReset"));
    }
  });

  test.each<["json" | "text"]>([["json"], ["text"]])("healthy server, %s report: 100 %% availability", async (format) => {
    server.healthy();
    const report = parseSiegeReport(await runSiege(server.url, format === "json"));
    expect(report).toMatchObject({ format, availability: 100, failedTransactions: 0 });
    expect(report.transactions).toBeGreaterThan(0);
  });
});
