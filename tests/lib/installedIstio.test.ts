import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { istioPlan, parseIstioProbe, probeInstalledIstio } from "../../lib/installedIstio";
import { withFakeIstio } from "../support/fakeIstio";

const projectDir = path.resolve(__dirname, "../..");

describe("scripts/detect-istio.sh, through probeInstalledIstio", () => {
  const dev = "organization/istio-exit-study/dev";
  test.each([
    ["none", { owner: "none" }],
    [`study helm ${dev} docker.io/istio/pilot:1.31.1`, { owner: "study", installer: "helm", stack: dev, version: "1.31.1", ambient: false }],
    [`study istioctl ${dev} docker.io/istio/pilot:1.31.1 ambient`, { owner: "study", installer: "istioctl", stack: dev, version: "1.31.1", ambient: true }],
    ["study helm", { owner: "study", installer: "helm", stack: "", version: "unknown", ambient: false }],
    ["study", { owner: "study", installer: "unknown", stack: "", version: "unknown", ambient: false }],
    ["other docker.io/istio/pilot:1.31.1", { owner: "other", version: "1.31.1", ambient: false }],
    ["other docker.io/istio/pilot:1.30.2-distroless ambient", { owner: "other", version: "1.30.2", ambient: true }],
    ["other registry.local:5000/istio/pilot", { owner: "other", version: "unknown", ambient: false }],
    ["elsewhere docker.io/istio/pilot:1.31.1", { owner: "other", version: "1.31.1", ambient: false }],
    ["elsewhere docker.io/istio/pilot:1.31.1 ambient", { owner: "other", version: "1.31.1", ambient: true }],
  ])("a cluster holding %s", (istio, expected) => {
    expect(withFakeIstio(istio, () => probeInstalledIstio("kind-lab", projectDir))).toEqual(expected);
  });

  test("asks the given context, and looks for Istio in every namespace", () => {
    withFakeIstio("none", () => {
      probeInstalledIstio("kind-lab", projectDir);
      const calls = fs.readFileSync(path.join(process.env.FAKE_STATE!, "kubectl.calls"), "utf8").split("\n").filter(Boolean);
      expect(calls[0]).toBe("--context kind-lab get namespace istio-system --ignore-not-found -o name");
      expect(calls[1]).toMatch(/^--context kind-lab get \S*deployments,\S*mutatingwebhookconfigurations,\S* --all-namespaces --selector operator.istio.io\/component -o name$/);
      expect(calls).toHaveLength(2);
    });
  });

  test("asks for the study's label without naming the namespace, which kubectl would refuse", () => {
    withFakeIstio(`study helm ${dev}`, () => {
      expect(probeInstalledIstio("kind-lab", projectDir)).toMatchObject({ owner: "study", installer: "helm", stack: dev });
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
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe("istioPlan", () => {
  const dev = "organization/istio-exit-study/dev";
  const first = "organization/istio-exit-study/first";
  const study = (installer: "helm" | "istioctl" | "unknown", stack: string, version = "1.31.1") => ({ owner: "study" as const, installer, stack, version, ambient: false });
  test("installs where there is none, or this stack's own (or one a lab from before stacks were named made)", () => {
    expect(istioPlan({ owner: "none" }, "1.31.1", "kind-lab", true, "helm", dev)).toBe("install");
    expect(istioPlan(study("helm", dev), "1.31.1", "kind-lab", true, "helm", dev)).toBe("install");
    expect(istioPlan(study("unknown", ""), "1.31.1", "kind-lab", true, "istioctl", dev)).toBe("install");
  });
  test("stops on the study's own Istio of the other installer, whose removal would take the new one with it", () => {
    expect(() => istioPlan(study("helm", dev), "1.31.1", "kind-lab", false, "istioctl", dev)).toThrow(
      "context kind-lab runs the Istio this lab installed with helm, and config istioInstaller is istioctl: set istioInstaller=helm, or remove the lab",
    );
  });
  test("uses another stack's Istio of the configured version as it is, whatever its installer: never installs over it", () => {
    expect(istioPlan(study("istioctl", first), "1.31.1", "kind-lab", false, "istioctl", dev)).toBe("reuse");
    expect(istioPlan(study("helm", first), "1.31.1", "kind-lab", false, "istioctl", dev)).toBe("reuse");
  });
  test("stops on another stack's Istio of another version, naming that stack", () => {
    expect(() => istioPlan(study("istioctl", first), "1.30.2", "kind-lab", false, "istioctl", dev)).toThrow(
      `context kind-lab already runs Istio 1.31.1, installed by this lab's stack ${first} (which alone removes it, with its pulumi destroy), and config istioVersion is 1.30.2`,
    );
  });
  test("reuses someone else's Istio of the configured version", () => {
    expect(istioPlan({ owner: "other", version: "1.31.1", ambient: false }, "1.31.1", "kind-lab", false, "helm", dev)).toBe("reuse");
    expect(istioPlan({ owner: "other", version: "1.31.1", ambient: true }, "1.31.1", "kind-lab", true, "helm", dev)).toBe("reuse");
  });
  test("stops rather than measure ambient cases on someone else's Istio without ztunnel", () => {
    expect(() => istioPlan({ owner: "other", version: "1.31.1", ambient: false }, "1.31.1", "kind-lab", true, "helm", dev)).toThrow(
      "context kind-lab already runs Istio 1.31.1, not installed by this study, without ztunnel",
    );
  });
  test("stops on someone else's Istio of another version, naming both and the way out", () => {
    expect(() => istioPlan({ owner: "other", version: "1.30.2", ambient: true }, "1.31.1", "kind-lab", false, "helm", dev)).toThrow(
      "context kind-lab already runs Istio 1.30.2, not installed by this study, and config istioVersion is 1.31.1: set istioVersion=1.30.2",
    );
  });
  test("stops on an Istio whose version cannot be told, rather than install over it", () => {
    expect(() => istioPlan({ owner: "other", version: "unknown", ambient: false }, "1.31.1", "kind-lab", false, "istioctl", dev)).toThrow(
      "context kind-lab already has Istio, not installed by this study, but no istiod whose image tells its version",
    );
  });
});

test("parseIstioProbe refuses what it does not know", () => {
  expect(() => parseIstioProbe("maybe")).toThrow(/printed something unexpected: "maybe"/);
});
