import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { istioPlan, parseIstioProbe, probeInstalledIstio } from "../../lib/installedIstio";
import { withFakeIstio } from "../support/fakeIstio";

const projectDir = path.resolve(__dirname, "../..");

describe("scripts/detect-istio.sh, through probeInstalledIstio", () => {
  test.each([
    ["none", { owner: "none" }],
    ["study helm", { owner: "study", installer: "helm" }],
    ["study istioctl", { owner: "study", installer: "istioctl" }],
    ["study", { owner: "study", installer: "unknown" }],
    ["other docker.io/istio/pilot:1.31.1", { owner: "other", version: "1.31.1", ambient: false }],
    ["other docker.io/istio/pilot:1.30.2-distroless ambient", { owner: "other", version: "1.30.2", ambient: true }],
    ["other registry.local:5000/istio/pilot", { owner: "other", version: "unknown", ambient: false }],
  ])("istio-system holding %s", (istio, expected) => {
    expect(withFakeIstio(istio, () => probeInstalledIstio("kind-lab", projectDir))).toEqual(expected);
  });

  test("asks the given context", () => {
    withFakeIstio("none", () => {
      probeInstalledIstio("kind-lab", projectDir);
      const calls = fs.readFileSync(path.join(process.env.FAKE_STATE!, "kubectl.calls"), "utf8");
      expect(calls).toBe("--context kind-lab get namespace istio-system --ignore-not-found -o name\n");
    });
  });

  test("asks for the study's label without naming the namespace, which kubectl would refuse", () => {
    withFakeIstio("study helm", () => {
      expect(probeInstalledIstio("kind-lab", projectDir)).toEqual({ owner: "study", installer: "helm" });
      const calls = fs.readFileSync(path.join(process.env.FAKE_STATE!, "kubectl.calls"), "utf8");
      expect(calls).toContain("get namespaces --selector istio-exit-study/installed-by --field-selector metadata.name=istio-system -o name");
    });
  });

  test("a kubectl that fails names the context and quotes kubectl", () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "broken-kubectl-"));
    fs.writeFileSync(path.join(dir, "kubectl"), "#!/bin/sh\necho 'error: context \"nope\" does not exist' >&2\nexit 1\n", { mode: 0o755 });
    const saved = process.env.PATH;
    process.env.PATH = `${dir}:${saved}`;
    try {
      expect(() => probeInstalledIstio("nope", projectDir)).toThrow(/could not tell which Istio context nope has: error: context "nope" does not exist/);
    } finally {
      process.env.PATH = saved;
    }
  });
});

describe("istioPlan", () => {
  test("installs where there is none, or the study's own", () => {
    expect(istioPlan({ owner: "none" }, "1.31.1", "kind-lab", true, "helm")).toBe("install");
    expect(istioPlan({ owner: "study", installer: "helm" }, "1.31.1", "kind-lab", true, "helm")).toBe("install");
    expect(istioPlan({ owner: "study", installer: "unknown" }, "1.31.1", "kind-lab", true, "istioctl")).toBe("install");
  });
  test("stops on the study's own Istio of the other installer, whose removal would take the new one with it", () => {
    expect(() => istioPlan({ owner: "study", installer: "helm" }, "1.31.1", "kind-lab", false, "istioctl")).toThrow(
      "context kind-lab runs the Istio this lab installed with helm, and config istioInstaller is istioctl: set istioInstaller=helm, or remove the lab",
    );
  });
  test("reuses someone else's Istio of the configured version", () => {
    expect(istioPlan({ owner: "other", version: "1.31.1", ambient: false }, "1.31.1", "kind-lab", false, "helm")).toBe("reuse");
    expect(istioPlan({ owner: "other", version: "1.31.1", ambient: true }, "1.31.1", "kind-lab", true, "helm")).toBe("reuse");
  });
  test("stops rather than measure ambient cases on someone else's Istio without ztunnel", () => {
    expect(() => istioPlan({ owner: "other", version: "1.31.1", ambient: false }, "1.31.1", "kind-lab", true, "helm")).toThrow(
      "context kind-lab already runs Istio 1.31.1, not installed by this study, without ztunnel",
    );
  });
  test("stops on someone else's Istio of another version, naming both and the way out", () => {
    expect(() => istioPlan({ owner: "other", version: "1.30.2", ambient: true }, "1.31.1", "kind-lab", false, "helm")).toThrow(
      "context kind-lab already runs Istio 1.30.2, not installed by this study, and config istioVersion is 1.31.1: set istioVersion=1.30.2",
    );
  });
});

test("parseIstioProbe refuses what it does not know", () => {
  expect(() => parseIstioProbe("maybe")).toThrow(/printed something unexpected: "maybe"/);
});
