// The README and docs/ stay true to the code: the config and output tables list every key and output,
// the test commands are CI's, the engine's versions are named, every link resolves, and the README
// stays a front door.
import * as fs from "fs";
import * as path from "path";
import { caseKeys } from "../config/cases";
import { configKeys } from "../config/keys";
import { readStudyConfig } from "../config/study";

const projectDir = path.resolve(__dirname, "..");
const read = (file: string) => fs.readFileSync(path.join(projectDir, file), "utf8");
const readme = read("README.md");
const configuration = read("docs/configuration.md");
const results = read("docs/results.md");
const contributing = read("docs/contributing.md");
const program = read("index.ts");

const tableKeys = (text: string, heading: string) => {
  const section = text.split(/^## /m).find((s) => s.startsWith(heading)) ?? "";
  return [...section.matchAll(/^\| ((?:`[^`]+`(?:, )?)+) \|/gm)].flatMap((m) => [...m[1].matchAll(/`([^`]+)`/g)].map((k) => k[1]));
};

test("docs/configuration.md's config table lists every key with its default", () => {
  expect(tableKeys(configuration, "Config").sort()).toEqual(Object.keys(configKeys).sort());
  for (const [key, spec] of Object.entries(configKeys)) {
    expect(configuration).toContain(`| \`${key}\` | \`${spec.default === "" ? '""' : spec.default}\` |`);
  }
});

test("docs/results.md's output table lists every stack output", () => {
  const exported = [
    ...[...program.matchAll(/^export const (\w+)/gm)].map((m) => m[1]),
    ...[...program.matchAll(/^export \{ ([^}]+) \}/gm)].flatMap((m) => m[1].split(",").map((s) => s.trim())),
  ];
  expect(tableKeys(results, "Outputs").sort()).toEqual(exported.sort());
});

test("the README names the test commands that CI runs", () => {
  const ci = read(".ci/run");
  for (const command of ["npm test", "npm run test:go", "npm run engine:install", "npm run test:engine"]) {
    expect(readme).toContain(command);
    expect(ci).toMatch(new RegExp(`^(\\w+=\\S+ )?${command}$`, "m"));
  }
});

test("docs/contributing.md names every version of the engine toolchain", () => {
  const pins = read("engine/versions.env");
  for (const [, key, version] of pins.matchAll(/^(\w+_VERSION)=v?(\S+)$/gm)) {
    const short = key === "PULUMI_KUBERNETES_PROVIDER_MODULE_VERSION" ? version.slice(-12) : version;
    expect([key, contributing.includes(short)]).toEqual([key, true]);
  }
});

test("every relative link of the README and docs/ resolves, to a heading where it names one", () => {
  const files = ["README.md", ...fs.readdirSync(path.join(projectDir, "docs")).map((f) => `docs/${f}`)];
  const anchor = (heading: string) => heading.toLowerCase().replace(/[^a-z0-9 -]/g, "").replace(/ /g, "-");
  for (const file of files) {
    for (const [, target] of read(file).matchAll(/\]\(([^)#:\s]*)(#[^)\s]*)?\)/g)) {
      if (target === "") continue;
      const resolved = path.join(path.dirname(file), target);
      expect([file, target, fs.existsSync(path.join(projectDir, resolved))]).toEqual([file, target, true]);
    }
    for (const [, target, hash] of read(file).matchAll(/\]\(([^)#:\s]*)#([^)\s]+)\)/g)) {
      const linked = target ? path.join(path.dirname(file), target) : file;
      const headings = [...read(linked).matchAll(/^#+ (.*)$/gm)].map((m) => anchor(m[1]));
      expect([file, `${target}#${hash}`, headings.includes(hash)]).toEqual([file, `${target}#${hash}`, true]);
    }
  }
});

test("the README is a front door: at most about 200 lines, the rest in docs/", () => {
  expect(readme.split("\n").length).toBeLessThanOrEqual(200);
});

test("docs/contributing.md's layout names every file of components/, config/, lib/ and scripts/", () => {
  const layout = contributing.slice(contributing.indexOf("## Layout"));
  for (const folder of ["components", "config", "lib", "scripts"]) {
    for (const file of fs.readdirSync(path.join(projectDir, folder))) {
      expect([folder, file, layout.includes(`\`${file}\``)]).toEqual([folder, file, true]);
    }
  }
});

test("docs/configuration.md names every key a case may set", () => {
  const sentence = configuration.slice(configuration.indexOf("a case sets\nonly"), configuration.indexOf("takes every"));
  expect([...sentence.matchAll(/`(\w+)`/g)].map((m) => m[1]).sort()).toEqual([...caseKeys].sort());
});

test("docs/istio-shutdown.md's table gives each standard case what lib/expectations.ts expects of it", () => {
  const rows = [...read("docs/istio-shutdown.md").matchAll(/^\| `([a-z-]+)` \| ([^|]+) \|/gm)].map((m) => [m[1], m[2].trim()]);
  const expected = (values: Record<string, string>) =>
    readStudyConfig((key) => ({ cases: "standard", cpus: "6", ...values })[key], projectDir, "dev").cases.map((c) => [c.name, c.expect]);
  // The table is for a connection per request, and says where fortio's kept connections differ.
  const kept = Object.fromEntries(expected({ connection: "keep-alive", load: "fortio", qps: "100" }));
  expect(rows).toEqual(expected({}).map(([name, close]) => [name, close === kept[name] ? close : `${close} (close), ${kept[name]} (keep-alive)`]));
});
