import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { configKeys } from "../../config/keys";
import { ConfigError } from "../../config/reader";
import { readStudyConfig } from "../../config/study";
import { defaultProfile } from "../../lib/minikubeProfile";

const projectDir = path.resolve(__dirname, "../..");
const read = (values: Record<string, string>) => readStudyConfig((key) => values[key], projectDir, "dev");

function writeTemp(name: string, text: string): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "study-config-"));
  const file = path.join(dir, name);
  fs.writeFileSync(file, text);
  return file;
}

describe("readStudyConfig", () => {
  test("gives the documented defaults when nothing is set", () => {
    const config = read({});
    expect(config.cluster).toEqual({
      kubeContext: "",
      profile: defaultProfile("dev"),
      kubernetesVersion: "v1.35.1",
      driver: "",
      cpus: 4,
      memoryMiB: 8192,
    });
    expect(config.istio).toEqual({
      version: "1.31.1",
      chartRepo: "https://blob.istio.io/istio-release/charts",
      installer: "helm",
      mesh: "sidecar",
      platform: "minikube",
    });
    expect(config.cases[0]).toMatchObject({
      namespace: "demo-site",
      replicas: 3,
      injection: false,
      variant: "hook",
      preStopSeconds: 10,
      sidecarMode: "classic",
    });
    expect(config.cases[0].manifest.deployment.metadata.name).toBe("demo-site");
    expect(config.cases[0].manifest.service.spec.type).toBe("NodePort");
  });

  test.each(["1.31.0-rc.1", "1.31.0-dev.eed52ebb66ad"])("takes Istio's pre-release %s, as its chart repository and istioctl name it", (version) => {
    expect(read({ istioVersion: version }).istio.version).toBe(version);
  });

  test("takes every value the user sets", () => {
    const config = read({
      profile: "lab-2",
      kubernetesVersion: "v1.34.0",
      driver: "kvm2",
      cpus: "6",
      memoryMiB: "12288",
      istioVersion: "1.30.2",
      istioChartRepo: "oci://ghcr.io/istio/release/charts",
      istioInstaller: "istioctl",
      namespace: "shop",
      replicas: "5",
      injection: "true",
      variant: "nohook",
      preStopSeconds: "20",
      sidecarMode: "native",
    });
    expect(config.cluster).toEqual({
      kubeContext: "",
      profile: "lab-2",
      kubernetesVersion: "v1.34.0",
      driver: "kvm2",
      cpus: 6,
      memoryMiB: 12288,
    });
    expect(config.istio).toEqual({
      version: "1.30.2",
      chartRepo: "oci://ghcr.io/istio/release/charts",
      installer: "istioctl",
      mesh: "sidecar",
      platform: "minikube",
    });
    expect(config.cases[0]).toMatchObject({
      namespace: "shop",
      replicas: 5,
      injection: true,
      variant: "nohook",
      preStopSeconds: 20,
      sidecarMode: "native",
    });
  });

  test.each([
    ["injection", "maybe", 'config injection="maybe" is invalid: expected true or false'],
    ["variant", "sometimes", 'config variant="sometimes" is invalid: expected one of hook, nohook'],
    ["sidecarMode", "ambient", 'config sidecarMode="ambient" is invalid: expected one of classic, native'],
    ["istioInstaller", "kubectl", 'config istioInstaller="kubectl" is invalid: expected one of helm, istioctl'],
    ["replicas", "0", 'config replicas="0" is invalid: expected a whole number from 1 to 50'],
    ["replicas", "2.5", 'config replicas="2.5" is invalid: expected a whole number from 1 to 50'],
    ["preStopSeconds", "-5", 'config preStopSeconds="-5" is invalid: expected a whole number from 1 to 600'],
    ["preStopSeconds", "ten", 'config preStopSeconds="ten" is invalid: expected a whole number from 1 to 600'],
    ["cpus", "1", 'config cpus="1" is invalid: expected a whole number from 2 to 64'],
    ["memoryMiB", "8g", 'config memoryMiB="8g" is invalid: expected a whole number from 2048 to 262144'],
    ["profile", "my lab", 'config profile="my lab" is invalid: expected a DNS label'],
    ["profile", "lab;rm -rf ~", 'config profile="lab;rm -rf ~" is invalid: expected a DNS label'],
    ["profile", "$(reboot)", 'config profile="$(reboot)" is invalid: expected a DNS label'],
    ["profile", "Lab", 'config profile="Lab" is invalid: expected a DNS label'],
    ["namespace", "demo site", 'config namespace="demo site" is invalid: expected a DNS label'],
    ["namespace", "$(id)", 'config namespace="$(id)" is invalid: expected a DNS label'],
    ["namespace", "x".repeat(64), `config namespace="${"x".repeat(64)}" is invalid: expected a DNS label`],
    ["namespace", "istio-system", 'config namespace="istio-system" is invalid: expected a namespace of the study\'s own'],
    ["namespace", "default", 'config namespace="default" is invalid: expected a namespace of the study\'s own'],
    ["namespace", "kube-system", 'config namespace="kube-system" is invalid: expected a namespace of the study\'s own'],
    ["namespace", "kube-public", 'config namespace="kube-public" is invalid: expected a namespace of the study\'s own'],
    ["namespace", "kube-node-lease", 'config namespace="kube-node-lease" is invalid: expected a namespace of the study\'s own'],
    ["concurrency", "0", 'config concurrency="0" is invalid: expected a whole number from 1 to 500'],
    ["kubernetesVersion", "1.35", 'config kubernetesVersion="1.35" is invalid: expected v1.30.0 or newer, such as v1.35.1'],
    ["kubernetesVersion", "v1.29.4", 'config kubernetesVersion="v1.29.4" is invalid: expected v1.30.0 or newer'],
    ["istioVersion", "latest", 'config istioVersion="latest" is invalid: expected a version such as 1.31.1'],
    ["istioVersion", "1.31.0-", 'config istioVersion="1.31.0-" is invalid: expected a version such as 1.31.1'],
    ["istioVersion", "1.31.0-rc.1;id", 'config istioVersion="1.31.0-rc.1;id" is invalid: expected a version such as 1.31.1'],
    ["driver", "docker --force", 'config driver="docker --force" is invalid: expected a minikube driver name'],
    ["istioChartRepo", "not a url", `config istioChartRepo="not a url" is invalid: expected an https://, http:// or oci:// URL, or a folder holding the charts base, istiod; ${projectDir}/not a url has no base/Chart.yaml, istiod/Chart.yaml`],
    ["istioChartRepo", "", 'config istioChartRepo="" is invalid: expected an https://, http:// or oci:// URL, or a folder'],
    ["kubeContext", "my context", 'config kubeContext="my context" is invalid: expected the name of a context in your kubeconfig'],
    ["kubeContext", "ctx;reboot", 'config kubeContext="ctx;reboot" is invalid: expected the name of a context in your kubeconfig'],
    ["loadFrom", "laptop", 'config loadFrom="laptop" is invalid: expected one of auto, host, cluster'],
    ["connection", "persistent", 'config connection="persistent" is invalid: expected one of close, keep-alive'],
    ["loadImage", "siege $(id)", 'config loadImage="siege $(id)" is invalid: expected an image reference'],
    ["namespace", "n".repeat(59), `config namespace="${"n".repeat(59)}" is invalid: expected at most 58 characters`],
    ["mesh", "linkerd", 'config mesh="linkerd" is invalid: expected one of sidecar, ambient, none'],
    ["proxyDrainSeconds", "-1", 'config proxyDrainSeconds="-1" is invalid: expected a whole number from 0 to 600'],
    ["exitOnZeroActiveConnections", "yes", 'config exitOnZeroActiveConnections="yes" is invalid: expected true or false'],
    ["istioChartRepo", "file:///etc", 'config istioChartRepo="file:///etc" is invalid: expected an https://, http:// or oci:// URL'],
    ["istioChartRepo", "ftp://charts.example.com", 'config istioChartRepo="ftp://charts.example.com" is invalid: expected an https://'],
    ["load", "wrk", 'config load="wrk" is invalid: expected one of siege, fortio'],
    ["expect", "maybe", 'config expect="maybe" is invalid: expected one of , lossless, lossy, unknown'],
    ["maxFailuresPer10k", "-1", 'config maxFailuresPer10k="-1" is invalid: expected a number of failures per 10,000 requests, such as 0 or 0.5, or empty'],
    ["maxFailuresPer10k", "1e3", 'config maxFailuresPer10k="1e3" is invalid: expected a number of failures per 10,000 requests'],
    ["qps", "0", 'config qps="0" is invalid: expected a whole number from 1 to 100000'],
  ])("rejects %s=%j, naming the key, the value and what is allowed", (key, value, message) => {
    expect(() => read({ [key]: value })).toThrow(ConfigError);
    expect(() => read({ [key]: value })).toThrow(message);
  });

  test.each(["ambient", "none"])("rejects injection=true with mesh=%s: they exclude each other", (mesh) => {
    expect(() => read({ injection: "true", mesh })).toThrow(
      `config injection="true" is invalid: sidecar injection needs mesh=sidecar, and mesh is ${mesh}`,
    );
  });

  describe("istioChartRepo as a folder of charts", () => {
    const chartFolder = (charts: string[]) => {
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), "study-charts-"));
      for (const chart of charts) {
        fs.mkdirSync(path.join(dir, chart));
        fs.writeFileSync(path.join(dir, chart, "Chart.yaml"), `name: ${chart}\n`);
      }
      return dir;
    };

    test("takes a folder with the charts the mesh needs, as an absolute path", () => {
      const dir = chartFolder(["base", "istiod"]);
      expect(read({ istioChartRepo: dir }).istio.chartRepo).toBe(dir);
      expect(read({ istioChartRepo: path.relative(projectDir, dir) }).istio.chartRepo).toBe(dir);
    });

    test("takes a folder of every chart, ambient's too, relative to the project", () => {
      const dir = chartFolder(["base", "istiod", "cni", "ztunnel"]);
      expect(read({ istioChartRepo: path.relative(projectDir, dir), mesh: "ambient" }).istio.chartRepo).toBe(dir);
    });

    test("refuses a folder without the charts ambient needs, naming them", () => {
      const dir = chartFolder(["base", "istiod"]);
      expect(() => read({ istioChartRepo: dir, mesh: "ambient" })).toThrow(
        `config istioChartRepo="${dir}" is invalid: expected an https://, http:// or oci:// URL, or a folder holding the charts base, istiod, cni, ztunnel; ${dir} has no cni/Chart.yaml, ztunnel/Chart.yaml`,
      );
    });
  });

  test("reads the fix switches", () => {
    const config = read({ injection: "true", proxyDrainSeconds: "20", proxyPreStopSeconds: "12" });
    expect(config.cases[0]).toMatchObject({ mesh: "sidecar", proxyDrainSeconds: 20, exitOnZeroActiveConnections: false, proxyPreStopSeconds: 12 });
    expect(read({ injection: "true", exitOnZeroActiveConnections: "true" }).cases[0].exitOnZeroActiveConnections).toBe(true);
    expect(read({ mesh: "ambient" }).istio.mesh).toBe("ambient");
    expect(config.warnings).toEqual([]);
  });

  describe("a sidecar switch that would do nothing", () => {
    test.each([
      ["proxyDrainSeconds", "20", "with sidecarMode=native istio-proxy drains from Istio's own preStop hook and exits right after the app"],
      ["exitOnZeroActiveConnections", "true", "with sidecarMode=native istio-proxy drains from Istio's own preStop hook and exits right after the app"],
      ["proxyPreStopSeconds", "15", "with sidecarMode=native Istio's injector lays its own preStop hook, which starts the drain, over this one"],
    ])("%s=%s is refused without a sidecar, and with a native one, naming why", (key, value, native) => {
      expect(() => read({ [key]: value })).toThrow(
        `config ${key}="${value}" is invalid: it would do nothing: the pods run no sidecar (mesh=sidecar, injection=false)`,
      );
      expect(() => read({ [key]: value, mesh: "ambient" })).toThrow("the pods run no sidecar (mesh=ambient, injection=false)");
      expect(() => read({ [key]: value, injection: "true", sidecarMode: "native" })).toThrow(`config ${key}="${value}" is invalid: it would do nothing: ${native}`);
    });

    test("taken by a case from the stack's config, it is left out of that case, and the warning says so", () => {
      const config = read({ cases: "nomesh-hook,sidecar-hook", proxyDrainSeconds: "20" });
      expect(config.cases.map((c) => c.proxyDrainSeconds)).toEqual([0, 20]);
      expect(config.warnings).toEqual([
        "cases[nomesh-hook].proxyDrainSeconds=20, taken from the stack's config, is left out of this case: the pods run no sidecar (mesh=none, injection=false)",
      ]);
    });

    test("proxyPreStopSeconds in the stack reaches the classic sidecars only; the cases without one leave it out, each warned", () => {
      const config = read({ cases: "standard", cpus: "6", proxyPreStopSeconds: "15" });
      const byName = Object.fromEntries(config.cases.map((c) => [c.name, c.proxyPreStopSeconds]));
      expect(byName).toEqual({
        "nomesh-nohook": 0,
        "nomesh-hook": 0,
        "sidecar-nohook": 15,
        "sidecar-hook": 15,
        "drain-hook": 15,
        "exit-on-zero-hook": 15,
        "proxy-prestop-hook": 15,
        "native-hook": 0,
        "ambient-hook": 0,
      });
      expect(config.warnings).toEqual([
        "cases[nomesh-nohook].proxyPreStopSeconds=15, taken from the stack's config, is left out of this case: the pods run no sidecar (mesh=none, injection=false)",
        "cases[nomesh-hook].proxyPreStopSeconds=15, taken from the stack's config, is left out of this case: the pods run no sidecar (mesh=none, injection=false)",
        "cases[native-hook].proxyPreStopSeconds=15, taken from the stack's config, is left out of this case: with sidecarMode=native Istio's injector lays its own preStop hook, which starts the drain, over this one: a preStop with two handlers, which the API server refuses",
        "cases[ambient-hook].proxyPreStopSeconds=15, taken from the stack's config, is left out of this case: the pods run no sidecar (mesh=ambient, injection=false)",
      ]);
    });

    test("exit on zero connections and a drain in the stack are left out of a native case, which Istio would ignore them on", () => {
      const config = read({ cases: "native-hook,exit-on-zero-hook", exitOnZeroActiveConnections: "true" });
      expect(config.cases.map((c) => [c.name, c.exitOnZeroActiveConnections])).toEqual([
        ["native-hook", false],
        ["exit-on-zero-hook", true],
      ]);
      expect(config.warnings).toEqual([
        "cases[native-hook].exitOnZeroActiveConnections=true, taken from the stack's config, is left out of this case: with sidecarMode=native istio-proxy drains from Istio's own preStop hook and exits right after the app, ignoring the drain settings",
      ]);
      // Left out of a case without a sidecar, a drain together with exit on zero connections is no conflict there.
      const both = read({ cases: "nomesh-hook", proxyDrainSeconds: "20", exitOnZeroActiveConnections: "true" });
      expect(both.cases[0]).toMatchObject({ proxyDrainSeconds: 0, exitOnZeroActiveConnections: false });
      expect(both.warnings).toHaveLength(2);
    });

    test("set by the case itself, it is refused, naming the case", () => {
      expect(() => read({ cases: "- {name: a, mesh: none, proxyPreStopSeconds: 5}" })).toThrow(
        'config cases[a].proxyPreStopSeconds="5" is invalid: it would do nothing',
      );
    });

    test("a drain with exit on zero connections is refused: Istio ignores the drain then", () => {
      expect(() => read({ injection: "true", proxyDrainSeconds: "20", exitOnZeroActiveConnections: "true" })).toThrow(
        'config proxyDrainSeconds="20" is invalid: with exitOnZeroActiveConnections=true Istio ignores terminationDrainDuration',
      );
    });

    test("a drain of a few seconds with exit on zero connections is refused too", () => {
      expect(() => read({ injection: "true", proxyDrainSeconds: "3", exitOnZeroActiveConnections: "true" })).toThrow(
        'config proxyDrainSeconds="3" is invalid: with exitOnZeroActiveConnections=true',
      );
    });

    test("a drain above Istio's drainDuration is a warning: Envoy's listeners close at 45 s", () => {
      expect(read({ injection: "true", proxyDrainSeconds: "60" }).warnings).toEqual([
        "proxyDrainSeconds=60 is above Istio's drainDuration of 45 s: Envoy closes its listeners 45 s into the drain, so new connections are refused from then on",
      ]);
      expect(read({ injection: "true", proxyDrainSeconds: "46" }).warnings).toHaveLength(1);
      expect(read({ injection: "true", proxyDrainSeconds: "45" }).warnings).toEqual([]);
    });

    test("preStopSeconds with variant=nohook is a warning", () => {
      expect(read({ variant: "nohook", preStopSeconds: "20" }).warnings).toEqual([
        "preStopSeconds=20 does nothing with variant=nohook, which has no preStop hook",
      ]);
      expect(read({ variant: "nohook" }).warnings).toEqual([]);
    });
  });

  describe("manifest", () => {
    const deployment = `apiVersion: apps/v1
kind: Deployment
metadata: {name: shop}
spec:
  selector: {matchLabels: {app: shop}}
  template:
    metadata: {labels: {app: shop}}
    spec: {containers: [{name: app, image: shop:1}]}
`;
    const service = `apiVersion: v1
kind: Service
metadata: {name: shop}
spec: {selector: {app: shop}, ports: [{port: 80}]}
`;

    test("reads the user's own Deployment and Service", () => {
      const file = writeTemp("shop.yaml", `${deployment}---\n${service}`);
      const config = read({ manifest: file });
      expect(config.cases[0].manifest.deployment.metadata.name).toBe("shop");
      expect(config.cases[0].manifest.service.metadata.name).toBe("shop");
    });

    test("resolves a relative path from the project", () => {
      expect(read({ manifest: "manifests/demo-site.yaml" }).cases[0].manifest.deployment.metadata.name).toBe("demo-site");
    });

    test.each([
      ["an unreadable file", () => "/nonexistent/site.yaml", "expected a readable file"],
      ["malformed YAML", () => writeTemp("bad.yaml", "kind: [Deployment\n"), "it is not valid YAML"],
      ["a Deployment alone", () => writeTemp("one.yaml", deployment), "exactly one Deployment and one Service, found Deployment"],
      [
        "two Deployments",
        () => writeTemp("two.yaml", `${deployment}---\n${deployment}---\n${service}`),
        "found Deployment, Deployment, Service",
      ],
      ["an empty file", () => writeTemp("empty.yaml", ""), "found nothing"],
      ["a scalar document", () => writeTemp("scalar.yaml", "hello\n"), "every YAML document must be a Kubernetes object"],
      [
        "a Service that selects other pods",
        () => writeTemp("mismatch.yaml", `${deployment}---\n${service.replace("{app: shop}", "{app: other}")}`),
        "does not select the Deployment's pods",
      ],
      [
        "a Deployment without containers",
        () => writeTemp("empty-pod.yaml", `${deployment.replace("[{name: app, image: shop:1}]", "[]")}---\n${service}`),
        "the Deployment has no containers",
      ],
      [
        "an old apiVersion",
        () => writeTemp("old.yaml", `${deployment.replace("apps/v1", "extensions/v1beta1")}---\n${service}`),
        "must be apps/v1",
      ],
    ])("rejects %s, naming the key and the file", (_what, file, message) => {
      const manifest = file();
      expect(() => read({ manifest })).toThrow(`config manifest=${JSON.stringify(manifest)} is invalid: `);
      expect(() => read({ manifest })).toThrow(message);
    });
  });
});

test("as the CLI runs it, with every key of Pulumi.yaml at its default: no key counts as set, nothing is refused or warned", () => {
  const withDefaults = (values: Record<string, string>) => (key: string) => values[key] ?? String(configKeys[key as keyof typeof configKeys].default);
  const config = readStudyConfig(withDefaults({ variant: "nohook" }), projectDir, "dev");
  expect(config.warnings).toEqual([]);
  expect(readStudyConfig(withDefaults({ variant: "nohook", preStopSeconds: "20" }), projectDir, "dev").warnings).toHaveLength(1);
  expect(() => readStudyConfig(withDefaults({}), projectDir, "dev")).not.toThrow();
  expect(() => readStudyConfig(withDefaults({ qps: "50" }), projectDir, "dev")).toThrow('config qps="50" is invalid: it does nothing with load=siege');
});

describe("the load and how its figures are judged", () => {
  test("siege by default, fortio on request, each with its own image for the load Job", () => {
    expect(read({}).test).toMatchObject({ load: "siege", qps: 100, loadImage: "debian:bookworm-slim" });
    expect(read({ load: "fortio", qps: "250" }).test).toMatchObject({ load: "fortio", qps: 250, loadImage: "fortio/fortio:1.75.3" });
    expect(read({ load: "fortio", loadImage: "registry.local/fortio:1.75.3" }).test.loadImage).toBe("registry.local/fortio:1.75.3");
  });

  test("qps with siege would do nothing: refused where set", () => {
    expect(() => read({ qps: "50" })).toThrow('config qps="50" is invalid: it does nothing with load=siege');
  });

  test("a gate only when set, fractions allowed", () => {
    expect(read({}).test.maxFailuresPer10k).toBeUndefined();
    expect(read({ maxFailuresPer10k: "0.5" }).test.maxFailuresPer10k).toBe(0.5);
    expect(read({ maxFailuresPer10k: "0" }).test.maxFailuresPer10k).toBe(0);
  });

  test("each standard case expects what docs/istio-shutdown.md says; a case may say otherwise", () => {
    const expected = (values: Record<string, string>) =>
      Object.fromEntries(read({ cases: "standard", cpus: "6", ...values }).cases.map((c) => [c.name, c.expect]));
    expect(expected({})).toEqual({
      "nomesh-nohook": "lossy",
      "nomesh-hook": "lossless",
      "sidecar-nohook": "lossy",
      "sidecar-hook": "lossless",
      "drain-hook": "lossless",
      "exit-on-zero-hook": "lossless",
      "proxy-prestop-hook": "lossless",
      "native-hook": "lossless",
      "ambient-hook": "unknown",
    });
    // fortio retries a request on a kept connection the pod closed; Envoy's 503 for the app gone it cannot.
    expect(expected({ connection: "keep-alive", load: "fortio", qps: "100" })).toEqual({
      "nomesh-nohook": "lossy",
      "nomesh-hook": "lossless",
      "sidecar-nohook": "lossy",
      "sidecar-hook": "lossless",
      "drain-hook": "lossless",
      "exit-on-zero-hook": "lossless",
      "proxy-prestop-hook": "lossy",
      "native-hook": "lossless",
      "ambient-hook": "unknown",
    });
    // siege sends its next request into a kept connection the pod closed: every case loses one.
    expect(new Set(Object.values(expected({ connection: "keep-alive" })))).toEqual(new Set(["lossy"]));
    // The app's sleep no longer outlasts new connections: Envoy answers for the app gone.
    expect(read({ cases: "sidecar-hook", preStopSeconds: "3" }).cases[0].expect).toBe("lossy");
    expect(read({ cases: '[{"name": "mine", "expect": "lossless"}]' }).cases[0].expect).toBe("lossless");
    expect(read({ expect: "unknown" }).cases[0].expect).toBe("unknown");
  });
});

describe("the target cluster and where the load comes from", () => {
  test("minikube by default, with siege on this machine", () => {
    const config = read({});
    expect(config.cluster.kubeContext).toBe("");
    expect(config.test).toMatchObject({ loadFrom: "host", loadImage: "debian:bookworm-slim", loadNamespace: "demo-site-load" });
  });
  test.each(["kind-kind", "arn:aws:eks:eu-west-1:123456789012:cluster/lab", "gke_proj_europe-west1_lab", "admin@lab"])(
    "an existing cluster's context %s, with siege in the cluster by default",
    (kubeContext) => {
      const config = read({ kubeContext });
      expect(config.cluster.kubeContext).toBe(kubeContext);
      expect(config.istio.platform).toBe("");
      expect(config.test.loadFrom).toBe("cluster");
    },
  );
  test("loadFrom overrides the default either way", () => {
    expect(read({ kubeContext: "kind-kind", loadFrom: "host" }).test.loadFrom).toBe("host");
    expect(read({ loadFrom: "cluster" }).test.loadFrom).toBe("cluster");
  });
});

describe("cases", () => {
  test("unset: one case of the stack's keys, in the stack's namespace", () => {
    const config = read({ injection: "true" });
    expect(config.matrix).toBe(false);
    expect(config.cases).toHaveLength(1);
    expect(config.cases[0]).toMatchObject({ name: "", namespace: "demo-site", injection: true });
  });

  test("standard: the seed's four runs and each fix with the hook, each in its own namespace", () => {
    const config = read({ cases: "standard", cpus: "6" });
    expect(config.matrix).toBe(true);
    expect(config.cases.map((c) => [c.name, c.namespace, c.mesh, c.injection, c.variant, c.sidecarMode])).toEqual([
      ["nomesh-nohook", "demo-site-nomesh-nohook", "none", false, "nohook", "classic"],
      ["nomesh-hook", "demo-site-nomesh-hook", "none", false, "hook", "classic"],
      ["sidecar-nohook", "demo-site-sidecar-nohook", "sidecar", true, "nohook", "classic"],
      ["sidecar-hook", "demo-site-sidecar-hook", "sidecar", true, "hook", "classic"],
      ["drain-hook", "demo-site-drain-hook", "sidecar", true, "hook", "classic"],
      ["exit-on-zero-hook", "demo-site-exit-on-zero-hook", "sidecar", true, "hook", "classic"],
      ["proxy-prestop-hook", "demo-site-proxy-prestop-hook", "sidecar", true, "hook", "classic"],
      ["native-hook", "demo-site-native-hook", "sidecar", true, "hook", "native"],
      ["ambient-hook", "demo-site-ambient-hook", "ambient", false, "hook", "classic"],
    ]);
    const byName = Object.fromEntries(config.cases.map((c) => [c.name, c]));
    expect(byName["drain-hook"].proxyDrainSeconds).toBe(15);
    expect(byName["exit-on-zero-hook"].exitOnZeroActiveConnections).toBe(true);
    expect(byName["proxy-prestop-hook"].proxyPreStopSeconds).toBe(15);
    expect(config.cases.filter((c) => c.proxyDrainSeconds > 0 || c.exitOnZeroActiveConnections || c.proxyPreStopSeconds > 0)).toHaveLength(3);
    expect(config.warnings).toEqual([]);
    // One Istio serves them all: ambient's control plane injects sidecars as well.
    expect(config.istio.mesh).toBe("ambient");
  });

  test("a node too small for every case's pods is refused with the figures, naming the key to raise", () => {
    expect(() => read({ cases: "standard" })).toThrow(
      'config cpus="4" is invalid: the lab\'s pods ask for 4.85 CPUs at the busiest (the workloads and their sidecars 3.15, ' +
        "a rollout's extra pod 0.15, Istio 0.80, Kubernetes 0.75): set cpus to 5 or more, or run fewer cases or replicas",
    );
    expect(() => read({ cases: "standard", cpus: "6", memoryMiB: "4096" })).toThrow(
      'config memoryMiB="4096" is invalid: the lab\'s pods ask for 6.0 GiB at the busiest (the workloads and their sidecars 3.1 GiB, a rollout\'s extra pod 0.2 GiB, Istio 2.6 GiB, Kubernetes 0.2 GiB): set memoryMiB to 7168 or more',
    );
    // On a cluster of the user's, the lab does not know the nodes: nothing is refused.
    expect(read({ cases: "standard", kubeContext: "kind-lab" }).cases).toHaveLength(9);
  });

  test("the drain case outlasts the stack's preStop sleep", () => {
    const drain = read({ cases: "drain-hook", preStopSeconds: "30" }).cases[0];
    expect(drain.proxyDrainSeconds).toBe(35);
    expect(drain.preStopSeconds).toBe(30);
  });

  test("standard case names, separated by commas", () => {
    expect(read({ cases: "sidecar-hook, native-hook" }).cases.map((c) => c.name)).toEqual(["sidecar-hook", "native-hook"]);
  });

  test("a YAML list of own cases and standard names; unset keys come from the stack", () => {
    const config = read({
      preStopSeconds: "20",
      replicas: "2",
      cases: "- sidecar-hook\n- name: long-drain\n  injection: true\n  proxyDrainSeconds: 60\n- {name: plain, variant: nohook}\n",
    });
    expect(config.cases.map((c) => [c.name, c.injection, c.variant, c.preStopSeconds, c.proxyDrainSeconds, c.replicas])).toEqual([
      ["sidecar-hook", true, "hook", 20, 0, 2],
      ["long-drain", true, "hook", 20, 60, 2],
      ["plain", false, "nohook", 20, 0, 2],
    ]);
    expect(config.istio.mesh).toBe("sidecar");
  });

  test("connection is a case's own: keep-alive beside close", () => {
    const config = read({ cases: "- sidecar-hook\n- {name: sidecar-hook-ka, injection: true, connection: keep-alive}" });
    expect(config.cases.map((c) => [c.name, c.connection])).toEqual([
      ["sidecar-hook", "close"],
      ["sidecar-hook-ka", "keep-alive"],
    ]);
  });

  test("the JSON Pulumi hands over for a structured value works too", () => {
    const config = read({ cases: JSON.stringify([{ name: "a", injection: true }, { name: "b" }]) });
    expect(config.cases.map((c) => c.namespace)).toEqual(["demo-site-a", "demo-site-b"]);
  });

  test("no case needs Istio: none is installed", () => {
    expect(read({ cases: "nomesh-nohook,nomesh-hook" }).istio.mesh).toBe("none");
  });

  test.each([
    ["an unknown case name", "standard,fastest", 'config cases="standard,fastest" is invalid: unknown case name "fastest"'],
    ["an unknown key in a case", "- {name: a, drain: 20}", 'config cases[a].drain="20" is invalid: a case may set only injection, variant'],
    ["a stack-wide key in a case", "- {name: a, replicas: 2}", 'config cases[a].replicas="2" is invalid: a case may set only'],
    ["an invalid value in a case", "- {name: a, proxyDrainSeconds: -1}", 'config cases[a].proxyDrainSeconds="-1" is invalid: expected a whole number from 0 to 600'],
    ["a bad variant in a case", "- {name: b, variant: sometimes}", 'config cases[b].variant="sometimes" is invalid: expected one of hook, nohook'],
    ["ambient with injection in a case", "- {name: c, mesh: ambient, injection: true}", 'config cases[c].injection="true" is invalid: sidecar injection needs mesh=sidecar, and mesh is ambient'],
    ["a case without a name", "- {injection: true}", "every case needs a name"],
    ["a case name that is not a DNS label", "- {name: My Case}", 'config cases[My Case].name="My Case" is invalid: expected a DNS label'],
    ["a name too long for its namespace", `- {name: ${"x".repeat(60)}}`, "would be longer than 63 characters"],
    ["a name too long for its load Jobs", `- {name: ${"x".repeat(51)}}`, "expected at most 50 characters, to name its load Jobs"],
    ["the same case twice", "sidecar-hook,sidecar-hook", "case sidecar-hook is listed twice"],
    ["an empty list", "[]", 'config cases="[]" is invalid: expected standard'],
    ["a map instead of a list", "{name: a}", 'config cases="{name: a}" is invalid: expected standard'],
    ["malformed YAML", "- [", 'config cases="- [" is invalid: expected standard'],
  ])("rejects %s, naming the case and the key", (_what, cases, message) => {
    expect(() => read({ cases })).toThrow(ConfigError);
    expect(() => read({ cases })).toThrow(message);
  });

  test("refuses two cases whose repeated tests would share a resource name, naming both", () => {
    const cases = "[{name: x}, {name: x-2}]";
    expect(() => read({ cases, repeats: "2" })).toThrow(
      `config cases="${cases}" is invalid: case x at repeat 2 and case x-2 at repeat 1 would both be named rollout-x-2: rename one of the cases`,
    );
    expect(read({ cases, repeats: "1" }).cases.map((c) => c.name)).toEqual(["x", "x-2"]);
    expect(() => read({ cases: "[{name: x-2}, {name: x}]", repeats: "2" })).toThrow(
      "case x-2 at repeat 1 and case x at repeat 2 would both be named rollout-x-2",
    );
  });

  test.each(["0", "-1", "x"])("rejects repeats=%s", (repeats) => {
    expect(() => read({ repeats })).toThrow(`config repeats="${repeats}" is invalid: expected a whole number from 1 to 20`);
  });
});
