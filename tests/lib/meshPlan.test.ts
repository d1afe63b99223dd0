import { planMesh } from "../../lib/meshPlan";
import type { IstioSettings } from "../../lib/settings";

const stack = "organization/istio-exit-study/dev";
const istio: IstioSettings = { version: "1.31.1", chartRepo: "https://istio-release.storage.googleapis.com/charts", installer: "helm", mesh: "sidecar", platform: "" };

test("no case in a mesh: no Istio installed, looked for or measured on", () => {
  expect(planMesh({ ...istio, mesh: "none" }, { owner: "other", version: "1.20.0", ambient: false }, "ctx", stack)).toEqual({
    install: false,
    measuredOn: "none",
    inCluster: "none",
    version: "none",
  });
});

test("the lab's own Istio: installed, and measured anew when its installer, version, charts or mode change", () => {
  const plan = planMesh(istio, { owner: "none" }, "", stack);
  expect(plan).toEqual({
    install: true,
    measuredOn: "helm 1.31.1 https://istio-release.storage.googleapis.com/charts sidecar",
    inCluster: "1.31.1 default profile, installed by helm",
    version: "1.31.1",
  });
  const variants = [
    { ...istio, installer: "istioctl" as const },
    { ...istio, version: "1.30.2" },
    { ...istio, chartRepo: "/charts" },
    { ...istio, mesh: "ambient" as const },
  ].map((settings) => planMesh(settings, { owner: "none" }, "", stack).measuredOn);
  expect(new Set([plan.measuredOn, ...variants]).size).toBe(5);
  expect(planMesh({ ...istio, mesh: "ambient" }, { owner: "study", installer: "helm", stack, version: "1.31.1", ambient: true }, "ctx", stack).inCluster).toBe(
    "1.31.1 ambient profile, installed by helm",
  );
});

test("someone else's Istio of the configured version is used as found, and named so", () => {
  expect(planMesh(istio, { owner: "other", version: "1.31.1", ambient: false }, "ctx", stack)).toEqual({
    install: false,
    measuredOn: "found 1.31.1",
    inCluster: "1.31.1, found installed",
    version: "1.31.1 (found installed)",
  });
});

test("someone else's Istio of another version stops the program, naming both versions", () => {
  expect(() => planMesh(istio, { owner: "other", version: "1.29.0", ambient: true }, "ctx", stack)).toThrow(/runs Istio 1\.29\.0.*istioVersion is 1\.31\.1/);
});

test("another stack's Istio of the configured version is used as found: it is that stack's to remove", () => {
  const first = { owner: "study" as const, installer: "istioctl" as const, stack: "organization/istio-exit-study/first", version: "1.31.1", ambient: false };
  expect(planMesh({ ...istio, installer: "istioctl" }, first, "ctx", stack)).toMatchObject({ install: false, version: "1.31.1 (found installed)" });
});
