import { emptyErrorCounts, errorWindow, parseRolloutOutput } from "../../lib/rolloutOutput";
import { json407, seedNoHook, text41x } from "../fixtures/siegeReports";
import { classicRolloutOutput } from "../harness";

describe("parseRolloutOutput", () => {
  test("reads the status, sidecar, rollout time, errors by kind, timeline and siege's report", () => {
    const measurement = parseRolloutOutput(classicRolloutOutput);
    expect(measurement).toMatchObject({
      status: "ok",
      sidecar: "classic",
      rolloutSeconds: 21.4,
      errors: { connectionReset: 26, connectionRefused: 0, timeout: 0, http5xx: 3, closedWithoutResponse: 0, other: 0, linesOverCount: 0 },
      errorBins: [
        { atSeconds: 1.5, count: 20 },
        { atSeconds: 2, count: 9 },
      ],
      pods: [
        { name: "demo-site-7d9c-aaaaa", deletedSeconds: 0.6, goneSeconds: 12.1 },
        { name: "demo-site-7d9c-bbbbb", deletedSeconds: 7.3, goneSeconds: 18.2 },
      ],
    });
    expect(measurement.report).toMatchObject({ availability: 99.98, transactions: 127679, failedTransactions: 29 });
    expect(measurement.reason).toBeUndefined();
  });

  test.each([
    ["4.0.5 text (the seed)", seedNoHook, 99.98, 127679, 26],
    ["4.0.7 JSON", json407, 100, 3769, 0],
    ["4.1.x text in ms", text41x, 97.49, 5120, 132],
  ])("takes siege %s as it was printed", (_version, report, availability, transactions, failed) => {
    const measurement = parseRolloutOutput(`study-status: ok\nstudy-sidecar: none\n${report}`);
    expect(measurement.report).toMatchObject({ availability, transactions, failedTransactions: failed });
  });

  test("a report cut short is a failed measurement quoting the end, never a number", () => {
    const cut = seedNoHook.slice(0, seedNoHook.indexOf("Data transferred"));
    const measurement = parseRolloutOutput(`study-status: ok\nstudy-sidecar: classic\n${cut}`);
    expect(measurement.status).toBe("failed");
    expect(measurement.report).toBeUndefined();
    expect(measurement.reason).toMatch(/no complete siege report was found/);
    expect(measurement.reason).toContain("Elapsed time:");
  });

  test("a measurement that failed before siege ran keeps its reason alone: no word of a siege report never due", () => {
    const measurement = parseRolloutOutput(
      "study-status: failed deployment/demo-site could not roll out before the test: sidecar container istio-proxy of pod p cannot start\n" +
        "study-load: siege\nstudy-sidecar: native\n",
    );
    expect(measurement).toMatchObject({ status: "failed", sidecar: "native" });
    expect(measurement.reason).toBe("deployment/demo-site could not roll out before the test: sidecar container istio-proxy of pod p cannot start");
    expect(measurement.report).toBeUndefined();
  });

  test("a failed rollout keeps its reason, and the figures siege measured", () => {
    const measurement = parseRolloutOutput(`study-status: failed rollout did not finish within 300s\nstudy-sidecar: classic\n${seedNoHook}`);
    expect(measurement.status).toBe("failed");
    expect(measurement.reason).toBe("rollout did not finish within 300s");
    expect(measurement.report?.availability).toBe(99.98);
  });

  test("adds what siege's failed count says beyond its lines: failures without a line, or lines without a failure", () => {
    const output = (failures: string) =>
      `study-status: ok\nstudy-sidecar: classic\n` +
      `study-errors: 26 [error] socket: read error Connection reset by peer sock.c:635: Connection reset by peer\n` +
      `study-errors: 3 HTTP 503\n${failures}${seedNoHook.replace(/Failed transactions:\t +26/, "Failed transactions:\t          35")}`;
    const closed = parseRolloutOutput(output("study-failures: closedWithoutResponse 6\n"));
    expect(closed.errors).toMatchObject({ connectionReset: 26, http5xx: 3, closedWithoutResponse: 6, linesOverCount: 0 });
    expect(closed.report!.failedTransactions).toBe(35);
    // Unknown names are no kind of ours: left out, not guessed at.
    const over = parseRolloutOutput(output("study-failures: linesOverCount 2\nstudy-failures: somethingElse 7\n"));
    expect(over.errors).toMatchObject({ connectionReset: 26, http5xx: 3, closedWithoutResponse: 0, linesOverCount: 2 });
    expect(Object.keys(over.errors)).not.toContain("somethingElse");
  });

  test("the counts list every kind once, in the order the table shows them, with linesOverCount last", () => {
    expect(Object.keys(emptyErrorCounts())).toEqual([
      "connectionReset",
      "connectionRefused",
      "timeout",
      "http5xx",
      "closedWithoutResponse",
      "other",
      "linesOverCount",
    ]);
  });

  test("empty output fails", () => {
    const measurement = parseRolloutOutput("");
    expect(measurement.status).toBe("failed");
    expect(measurement.reason).toMatch(/printed no status.*no complete siege report/);
  });
});

test("errorWindow: seconds from the first pod's termination to the first and the end of the last error bin", () => {
  expect(errorWindow(parseRolloutOutput(classicRolloutOutput))).toEqual({ firstErrorSeconds: 0.9, lastErrorSeconds: 1.9 });
  expect(errorWindow(parseRolloutOutput(`study-status: ok\n${seedNoHook}`))).toBeUndefined();
});
