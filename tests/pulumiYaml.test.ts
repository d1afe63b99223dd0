import * as fs from "fs";
import * as path from "path";
import { parse } from "yaml";
import { configKeys } from "../config/keys";
import { readStudyConfig } from "../config/study";

const projectDir = path.resolve(__dirname, "..");
const project = parse(fs.readFileSync(path.join(projectDir, "Pulumi.yaml"), "utf8"));
const devStack = parse(fs.readFileSync(path.join(projectDir, "Pulumi.dev.yaml"), "utf8"));

describe("Pulumi.yaml", () => {
  test("is the nodejs TypeScript project the code reads its config under", () => {
    expect(project.name).toBe("istio-exit-study");
    expect(project.runtime.name).toBe("nodejs");
  });

  test("declares exactly the keys the program reads, with the same types and defaults", () => {
    const declared = Object.fromEntries(
      Object.entries(project.config as Record<string, any>).map(([key, spec]) => [key, { type: spec.type, default: spec.default }]),
    );
    const inCode = Object.fromEntries(
      Object.entries(configKeys).map(([key, spec]) => [key, { type: spec.type, default: spec.default }]),
    );
    expect(declared).toEqual(inCode);
  });

  test("describes every key", () => {
    for (const [key, spec] of Object.entries(project.config as Record<string, any>)) {
      expect([key, typeof spec.description, spec.description.length > 10]).toEqual([key, "string", true]);
    }
  });
});

describe("Pulumi.dev.yaml", () => {
  const values: Record<string, unknown> = devStack.config;

  test("sets only declared keys of this project", () => {
    for (const key of Object.keys(values)) {
      const [projectName, name] = key.split(":");
      expect(projectName).toBe("istio-exit-study");
      expect(Object.keys(configKeys)).toContain(name);
    }
  });

  test("holds a valid config", () => {
    const get = (key: string) => {
      const value = values[`istio-exit-study:${key}`];
      return value === undefined ? undefined : String(value);
    };
    expect(() => readStudyConfig(get, projectDir, "dev")).not.toThrow();
  });
});
