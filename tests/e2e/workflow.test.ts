import * as fs from "fs";
import * as path from "path";
import { parse } from "yaml";

const projectDir = path.resolve(__dirname, "../..");
const workflow = parse(fs.readFileSync(path.join(projectDir, ".github/workflows/e2e.yml"), "utf8"));
const steps: { uses?: string; run?: string; with?: Record<string, unknown>; env?: Record<string, string> }[] = workflow.jobs.e2e.steps;
const packageJson = JSON.parse(fs.readFileSync(path.join(projectDir, "package.json"), "utf8"));

test("the e2e workflow runs by hand and weekly, never on push", () => {
  expect(Object.keys(workflow.on).sort()).toEqual(["schedule", "workflow_dispatch"]);
  expect(workflow.on.schedule).toEqual([{ cron: expect.stringMatching(/^\d+ \d+ \* \* [0-6]$/) }]);
});

test("it installs what the README's prerequisites name, then runs npm ci and npm run test:e2e", () => {
  const uses = steps.map((s) => s.uses).filter(Boolean);
  expect(uses).toEqual(["actions/checkout@v4", "actions/setup-node@v4", "pulumi/actions@v6", "medyagh/setup-minikube@latest"]);
  expect(steps.find((s) => s.uses === "actions/setup-node@v4")!.with).toMatchObject({ "node-version": 20 });
  const runs = steps.map((s) => s.run).filter(Boolean);
  expect(runs).toEqual(["sudo apt-get update && sudo apt-get install -y siege", "npm ci", "npm run test:e2e"]);
  expect(steps.find((s) => s.run === "npm run test:e2e")!.env).toEqual({ E2E_DRIVER: "docker" });
  expect(packageJson.scripts["test:e2e"]).toBe("ts-node tests/e2e/run.ts");
});

test("it is bounded in time and reads only the repository", () => {
  expect(workflow.jobs.e2e["timeout-minutes"]).toBeLessThanOrEqual(180);
  expect(workflow.permissions).toEqual({ contents: "read" });
});
