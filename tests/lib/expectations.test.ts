import { asExpected, expectedOutcome, newConnectionsUntilSeconds, ShutdownSetting } from "../../lib/expectations";

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
  load: "siege",
};
const noMesh: Partial<ShutdownSetting> = { mesh: "none", injection: false };
const native: Partial<ShutdownSetting> = { sidecarMode: "native" };
const keptByFortio: Partial<ShutdownSetting> = { connection: "keep-alive", load: "fortio" };
const keptBySiege: Partial<ShutdownSetting> = { connection: "keep-alive", load: "siege" };

const cases = (rows: [string, Partial<ShutdownSetting>, string][]) =>
  test.each(rows)("%s", (_what, change, expected) => {
    expect(expectedOutcome({ ...classic, ...change })).toBe(expected);
  });

describe("no mesh: nginx alone, its sleep against new connections", () => {
  cases([
    ["no hook: nginx stops listening at once", { ...noMesh, variant: "nohook" }, "lossy"],
    ["the hook: nginx serves through its sleep", noMesh, "lossless"],
    ["a sidecar mesh with injection off is no mesh", { injection: false }, "lossless"],
    ["a sleep that ends exactly when new connections stop", { ...noMesh, preStopSeconds: newConnectionsUntilSeconds }, "lossy"],
    ["a sleep a second longer", { ...noMesh, preStopSeconds: newConnectionsUntilSeconds + 1 }, "lossless"],
    ["a sleep of one second", { ...noMesh, preStopSeconds: 1 }, "lossy"],
    ["kept connections with fortio: nginx closes them as it stops, fortio retries on a new one", { ...noMesh, ...keptByFortio }, "lossless"],
    ["kept connections with fortio, but no hook", { ...noMesh, ...keptByFortio, variant: "nohook" }, "lossy"],
    ["kept connections with siege: it sends into the one nginx closed", { ...noMesh, ...keptBySiege }, "lossy"],
  ]);
});

describe("classic sidecar: whichever of the app and Envoy ends first, against new connections", () => {
  cases([
    ["no hook: the app is gone while Envoy still accepts (503)", { variant: "nohook" }, "lossy"],
    ["the hook: Envoy killed 5 s in, after new connections stopped, while the app sleeps on", {}, "lossless"],
    ["a sleep of 5 s, as long as Envoy's drain", { preStopSeconds: 5 }, "lossless"],
    ["a sleep that ends exactly when new connections stop: Envoy answers 503 for the gone app", { preStopSeconds: newConnectionsUntilSeconds }, "lossy"],
    ["a sleep a second longer", { preStopSeconds: newConnectionsUntilSeconds + 1 }, "lossless"],
    ["a sleep of one second", { preStopSeconds: 1 }, "lossy"],
    ["a drain longer than the sleep: the app goes first, after new connections stopped", { proxyDrainSeconds: 15 }, "lossless"],
    ["a drain shorter than the sleep: Envoy goes first, after new connections stopped", { proxyDrainSeconds: 8 }, "lossless"],
    ["a drain that ends exactly when new connections stop", { proxyDrainSeconds: newConnectionsUntilSeconds }, "lossy"],
    ["a drain of a second: Envoy is gone while connections still arrive", { proxyDrainSeconds: 1 }, "lossy"],
    ["a drain longer than the sleep does not save a pod without the hook", { proxyDrainSeconds: 15, variant: "nohook" }, "lossy"],
    ["kept connections with fortio: the drain from the deletion closed them", keptByFortio, "lossless"],
    ["kept connections with siege", keptBySiege, "lossy"],
  ]);
});

describe("exit on zero connections: Envoy stays at least MINIMUM_DRAIN_DURATION, the app's sleep here", () => {
  cases([
    ["with the hook", { exitOnZeroActiveConnections: true }, "lossless"],
    ["with the hook and kept connections with fortio", { exitOnZeroActiveConnections: true, ...keptByFortio }, "lossless"],
    ["without the hook: the app is gone at once", { exitOnZeroActiveConnections: true, variant: "nohook" }, "lossy"],
    ["a sleep that ends exactly when new connections stop", { exitOnZeroActiveConnections: true, preStopSeconds: newConnectionsUntilSeconds }, "lossy"],
  ]);
});

describe("a preStop sleep on the proxy: its SIGTERM, and so its drain, come after it", () => {
  cases([
    ["longer than the app's, a connection per request: the app goes first, after new connections stopped", { proxyPreStopSeconds: 15 }, "lossless"],
    ["longer than the app's, kept connections with fortio: they reach the exited app through Envoy (503)", { proxyPreStopSeconds: 15, ...keptByFortio }, "lossy"],
    ["as long as the app's, kept connections with fortio: the drain starts as the app exits", { proxyPreStopSeconds: 10, ...keptByFortio }, "lossy"],
    ["a second shorter, kept connections with fortio: the drain closed them first", { proxyPreStopSeconds: 9, ...keptByFortio }, "lossless"],
    ["shorter than the app's, a connection per request: Envoy goes at 7 s", { proxyPreStopSeconds: 2 }, "lossless"],
    ["with exit on zero connections, kept connections with fortio", { proxyPreStopSeconds: 15, exitOnZeroActiveConnections: true, ...keptByFortio }, "lossy"],
    ["with exit on zero connections, a connection per request", { proxyPreStopSeconds: 15, exitOnZeroActiveConnections: true }, "lossless"],
  ]);
});

describe("native sidecar: drained from Istio's preStop at the deletion, gone right after the app", () => {
  cases([
    ["with the hook", native, "lossless"],
    ["with the hook and kept connections with fortio", { ...native, ...keptByFortio }, "lossless"],
    ["with the hook and kept connections with siege", { ...native, ...keptBySiege }, "lossy"],
    ["without the hook: the app is gone at once", { ...native, variant: "nohook" }, "lossy"],
    ["a sleep that ends exactly when new connections stop", { ...native, preStopSeconds: newConnectionsUntilSeconds }, "lossy"],
  ]);
});

describe("ambient: ztunnel carries the traffic, and its source is not Istio's module", () => {
  const ambient: Partial<ShutdownSetting> = { mesh: "ambient", injection: false };
  cases([
    ["with the hook", ambient, "unknown"],
    ["without the hook", { ...ambient, variant: "nohook" }, "unknown"],
    ["kept connections with fortio", { ...ambient, ...keptByFortio }, "unknown"],
    ["kept connections with siege: siege alone decides", { ...ambient, ...keptBySiege }, "lossy"],
  ]);
});

test("asExpected: lossless means no failure, lossy at least one, unknown no verdict", () => {
  expect([asExpected("lossless", 0), asExpected("lossless", 1), asExpected("lossy", 0), asExpected("lossy", 3)]).toEqual([true, false, false, true]);
  expect(asExpected("unknown", 0)).toBeUndefined();
});
