import { asExpected, expectedOutcome, ShutdownSetting } from "../../lib/expectations";

const classic: ShutdownSetting = {
  mesh: "sidecar",
  injection: true,
  variant: "hook",
  preStopSeconds: 10,
  sidecarMode: "classic",
  proxyDrainSeconds: 0,
  exitOnZeroActiveConnections: false,
  proxyPreStopSeconds: 0,
  connection: "close",
};

describe("expectedOutcome", () => {
  test.each([
    ["no mesh, no hook", { mesh: "none", injection: false, variant: "nohook" }, "lossy"],
    ["no mesh, the hook", { mesh: "none", injection: false }, "lossless"],
    ["a sidecar mesh with injection off is no mesh", { injection: false }, "lossless"],
    ["classic sidecar, no hook: 503s from Envoy", { variant: "nohook" }, "lossy"],
    ["classic sidecar, Envoy killed 5 s in while the app sleeps 10 s", {}, "lossy"],
    ["classic sidecar, a 5 s sleep: Envoy lasts as long", { preStopSeconds: 5 }, "lossless"],
    ["a drain that outlasts the sleep", { proxyDrainSeconds: 15 }, "lossless"],
    ["a drain shorter than the sleep", { proxyDrainSeconds: 8 }, "lossy"],
    ["exit on zero connections", { exitOnZeroActiveConnections: true }, "lossless"],
    ["a proxy preStop past the sleep, connection per request", { proxyPreStopSeconds: 15 }, "lossless"],
    ["a proxy preStop, kept connections reach the exited app", { proxyPreStopSeconds: 15, connection: "keep-alive" }, "lossy"],
    ["native sidecar: debated", { sidecarMode: "native" }, "unknown"],
    ["ambient: reported through a gateway only", { mesh: "ambient", injection: false }, "unknown"],
  ] as [string, Partial<ShutdownSetting>, string][])("%s: %s", (_what, change, expected) => {
    expect(expectedOutcome({ ...classic, ...change })).toBe(expected);
  });
});

test("asExpected: lossless means no failure, lossy at least one, unknown no verdict", () => {
  expect([asExpected("lossless", 0), asExpected("lossless", 1), asExpected("lossy", 0), asExpected("lossy", 3)]).toEqual([true, false, false, true]);
  expect(asExpected("unknown", 0)).toBeUndefined();
});
