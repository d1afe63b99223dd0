// The engine toolchain's pins agree with what the program runs on: the plugin versions the npm
// packages ask the engine for, and the SDK our command provider is built against.
import * as fs from "fs";
import * as path from "path";

const projectDir = path.resolve(__dirname, "..");
const pins = Object.fromEntries(
  [...fs.readFileSync(path.join(projectDir, "engine/versions.env"), "utf8").matchAll(/^(\w+)=(\S+)$/gm)].map((m) => [m[1], m[2]]),
);
const locked = (name: string) => `v${JSON.parse(fs.readFileSync(path.join(projectDir, "package-lock.json"), "utf8")).packages[`node_modules/${name}`].version}`;

test.each([
  ["PULUMI_VERSION", "@pulumi/pulumi"],
  ["PULUMI_KUBERNETES_PLUGIN_VERSION", "@pulumi/kubernetes"],
  ["PULUMI_COMMAND_PLUGIN_VERSION", "@pulumi/command"],
])("%s is the version of %s in package-lock.json", (pin, name) => {
  expect(pins[pin]).toBe(locked(name));
});

test("the command provider is built against the SDK of the pinned engine", () => {
  const goMod = fs.readFileSync(path.join(projectDir, "engine/command-provider/go.mod"), "utf8");
  expect(goMod).toMatch(new RegExp(`^\\s*github\\.com/pulumi/pulumi/sdk/v3 ${pins.PULUMI_VERSION.replace(/\./g, "\\.")}$`, "m"));
});

test("every version is exact", () => {
  for (const [key, version] of Object.entries(pins).filter(([key]) => key.endsWith("_VERSION"))) {
    expect([key, version]).toEqual([key, expect.stringMatching(/^v\d+\.\d+\.\d+(-[\w.-]+)?$/)]);
  }
});

test("the real node's demo manifest uses the image the toolchain builds, never pulled", () => {
  const manifest = fs.readFileSync(path.join(projectDir, "engine/node/demo-site.yaml"), "utf8");
  expect(manifest).toContain(`image: ${pins.NODE_DEMO_IMAGE}\n          imagePullPolicy: Never`);
  // The study's own manifest but for the image: the workload measured is the same.
  const study = fs.readFileSync(path.join(projectDir, "manifests/demo-site.yaml"), "utf8");
  const body = (text: string) => text.split("\n").filter((line) => !line.startsWith("#") && !/image/.test(line)).join("\n");
  expect(body(manifest)).toBe(body(study));
});
