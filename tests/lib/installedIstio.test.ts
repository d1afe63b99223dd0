import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { istioPlan, parseIstioProbe, probeInstalledIstio } from "../../lib/installedIstio";
import { withFakeIstio } from "../support/fakeIstio";

const projectDir = path.resolve(__dirname, "../..");

describe("scripts/detect-istio.sh, through probeInstalledIstio", () => {
  test.each([
    ["none", { owner: "none" }],
    ["study", { owner: "study" }],
    ["other docker.io/istio/pilot:1.31.1", { owner: "other", version: "1.31.1" }],
    ["other docker.io/istio/pilot:1.30.2-distroless", { owner: "other", version: "1.30.2" }],
    ["other registry.local:5000/istio/pilot", { owner: "other", version: "unknown" }],
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
    expect(istioPlan({ owner: "none" }, "1.31.1", "kind-lab")).toBe("install");
    expect(istioPlan({ owner: "study" }, "1.31.1", "kind-lab")).toBe("install");
  });
  test("reuses someone else's Istio of the configured version", () => {
    expect(istioPlan({ owner: "other", version: "1.31.1" }, "1.31.1", "kind-lab")).toBe("reuse");
  });
  test("stops on someone else's Istio of another version, naming both and the way out", () => {
    expect(() => istioPlan({ owner: "other", version: "1.30.2" }, "1.31.1", "kind-lab")).toThrow(
      "context kind-lab already runs Istio 1.30.2, not installed by this study, and config istioVersion is 1.31.1: set istioVersion=1.30.2",
    );
  });
});

test("parseIstioProbe refuses what it does not know", () => {
  expect(() => parseIstioProbe("maybe")).toThrow(/printed something unexpected: "maybe"/);
});
