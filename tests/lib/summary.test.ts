// The summary table's cells: whatever a failure's reason quotes, a row stays one row of its columns.
import * as path from "path";
import { readStudyConfig } from "../../config/study";
import { caseResult } from "../../lib/results";
import { parseRolloutOutput } from "../../lib/rolloutOutput";
import { markdownCell, summaryTable } from "../../lib/summary";

const projectDir = path.resolve(__dirname, "../..");
const [nativeHook] = readStudyConfig((key) => ({ cases: "native-hook" })[key], projectDir, "dev").cases;

/** A row's cells, split where Markdown splits them: at each pipe no backslash escapes. */
const cellsOf = (row: string) => row.replace(/^\| | \|$/g, "").split(/(?<!\\) \| /);

describe("markdownCell", () => {
  test("escapes a pipe and a backslash, and puts lines on one", () => {
    expect(markdownCell("a | b")).toBe("a \\| b");
    expect(markdownCell("C:\\dir|x")).toBe("C:\\\\dir\\|x");
    expect(markdownCell("first line\n  second\r\nthird")).toBe("first line second third");
    expect(markdownCell("plain text, 1.5 s")).toBe("plain text, 1.5 s");
  });
});

test("a failure's reason holding a pipe and a newline stays in its cell of its row", () => {
  // A kubelet's message quoted in the reason, and a load's output quoted over several lines.
  const reason = 'run 1: rollout could not finish: unexpected status | 502 Bad Gateway |; the output ends with:\nline one\nline two';
  const failed = caseResult(nativeHook, [parseRolloutOutput("study-status: failed rollout could not finish\nstudy-load: fortio\nstudy-sidecar: native\n")]);
  const [header, rule, ...rows] = summaryTable([{ ...failed, reason }]).split("\n");
  expect(rows).toHaveLength(1);
  expect(cellsOf(rows[0])).toHaveLength(cellsOf(header).length);
  expect(cellsOf(rule)).toHaveLength(cellsOf(header).length);
  expect(cellsOf(rows[0])[3]).toBe("FAILED: run 1: rollout could not finish: unexpected status \\| 502 Bad Gateway \\|; the output ends with: line one line two");
});
