import * as fs from "fs";
import * as path from "path";
import { configKeys } from "../config/keys";

const projectDir = path.resolve(__dirname, "..");
const readme = fs.readFileSync(path.join(projectDir, "README.md"), "utf8");
const program = fs.readFileSync(path.join(projectDir, "index.ts"), "utf8");

const tableKeys = (heading: string) => {
  const section = readme.split(/^## /m).find((s) => s.startsWith(heading)) ?? "";
  return [...section.matchAll(/^\| ((?:`[^`]+`(?:, )?)+) \|/gm)].flatMap((m) => [...m[1].matchAll(/`([^`]+)`/g)].map((k) => k[1]));
};

test("the README's config table lists every key with its default", () => {
  expect(tableKeys("Config").sort()).toEqual(Object.keys(configKeys).sort());
  for (const [key, spec] of Object.entries(configKeys)) {
    expect(readme).toContain(`| \`${key}\` | \`${spec.default === "" ? '""' : spec.default}\` |`);
  }
});

test("the README's output table lists every stack output", () => {
  const exported = [
    ...[...program.matchAll(/^export const (\w+)/gm)].map((m) => m[1]),
    ...[...program.matchAll(/^export \{ ([^}]+) \}/gm)].flatMap((m) => m[1].split(",").map((s) => s.trim())),
  ];
  expect(tableKeys("Outputs").sort()).toEqual(exported.sort());
});

test("the README names the test commands that CI runs", () => {
  const ci = fs.readFileSync(path.join(projectDir, ".ci/run"), "utf8");
  for (const command of ["npm test", "npm run test:go", "npm run engine:install", "npm run test:engine"]) {
    expect(readme).toContain(command);
    expect(ci).toMatch(new RegExp(`^(\\w+=\\S+ )?${command}$`, "m"));
  }
});

test("the README names every version of the engine toolchain", () => {
  const pins = fs.readFileSync(path.join(projectDir, "engine/versions.env"), "utf8");
  for (const [, key, version] of pins.matchAll(/^(\w+_VERSION)=v?(\S+)$/gm)) {
    const short = key === "PULUMI_KUBERNETES_PROVIDER_MODULE_VERSION" ? version.slice(-12) : version;
    expect([key, readme.includes(short)]).toEqual([key, true]);
  }
});
