import { planMesh } from "../../lib/meshPlan";
import type { IstioSettings } from "../../lib/settings";

const istio: IstioSettings = { version: "1.31.1", chartRepo: "https://istio-release.storage.googleapis.com/charts", installer: "helm", mesh: "sidecar", platform: "" };

test("no case in a mesh: no Istio installed, looked for or measured on", () => {
  expect(planMesh({ ...istio, mesh: "none" }, { owner: "other", version: "1.20.0", ambient: false }, "ctx")).toEqual({
    install: false,
    measuredOn: "none",
    inCluster: "none",
    version: "none",
  });
});

test("the lab's own Istio: installed, and measured anew when its installer, version, charts or mode change", () => {
  const plan = planMesh(istio, { owner: "none" }, "");
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
  ].map((settings) => planMesh(settings, { owner: "none" }, "").measuredOn);
  expect(new Set([plan.measuredOn, ...variants]).size).toBe(5);
  expect(planMesh({ ...istio, mesh: "ambient" }, { owner: "study", installer: "helm" }, "ctx").inCluster).toBe("1.31.1 ambient profile, installed by helm");
});

test("someone else's Istio of the configured version is used as found, and named so", () => {
  expect(planMesh(istio, { owner: "other", version: "1.31.1", ambient: false }, "ctx")).toEqual({
    install: false,
    measuredOn: "found 1.31.1",
    inCluster: "1.31.1, found installed",
    version: "1.31.1 (found installed)",
  });
});

test("someone else's Istio of another version stops the program, naming both versions", () => {
  expect(() => planMesh(istio, { owner: "other", version: "1.29.0", ambient: true }, "ctx")).toThrow(/runs Istio 1\.29\.0.*istioVersion is 1\.31\.1/);
});
