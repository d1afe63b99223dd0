// The engine suite's skips are named: a file whose scenarios need a part the toolchain lacks writes
// itself and the part to ENGINE_SKIPPED, which .ci/run prints after the suite's totals.
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { describeWithToolchain } from "./engine/engine";

const skipped = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "engine-skipped-")), "skipped");
process.env.ENGINE_SKIPPED = skipped;
jest.spyOn(console, "warn").mockImplementation(() => undefined);
const chosen = describeWithToolchain({ env: {}, missing: ["node-images"] }, ["pulumi", "node-images"]);
delete process.env.ENGINE_SKIPPED;
afterAll(() => fs.rmSync(path.dirname(skipped), { recursive: true, force: true }));

test("a lacking part skips the scenarios and names the file and the part", () => {
  expect(chosen).toBe(describe.skip);
  expect(fs.readFileSync(skipped, "utf8")).toBe("tests/engineSkip.test.ts: lacks node-images\n");
});

test("a toolchain with every part runs them", () => {
  expect(describeWithToolchain({ env: {}, missing: [] }, ["pulumi"])).toBe(describe);
});
