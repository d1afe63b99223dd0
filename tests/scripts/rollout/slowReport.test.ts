// A load that takes a few seconds after SIGINT to write its report is waited for: its report stands,
// and it is not killed early (scripts/rollout-test.sh, stop_host_load: 10 s).
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { parseRolloutOutput } from "../../../lib/rolloutOutput";
import { fakeCluster, fakeClusterPerTest, haveSiege, projectDir, runScript, siegeProcesses } from "../../support/rolloutScript";

(haveSiege ? describe : describe.skip)("rollout-test.sh against a fake cluster: a load slow to report", () => {
  const cluster = fakeClusterPerTest();

  test("a siege that writes its report 4 s after SIGINT keeps it, and is not killed", async () => {
    const shims = fs.mkdtempSync(path.join(os.tmpdir(), "slow-siege-"));
    const report = fs.readFileSync(path.join(projectDir, "tests/fixtures/rollout-classic.txt"), "utf8").split("\n").filter((l) => !l.startsWith("study-")).join("\n");
    fs.writeFileSync(path.join(shims, "report.txt"), report);
    // perl, not bash: a background job of a script starts with SIGINT ignored, which bash cannot trap.
    // 4 s: well inside the script's 10 s on a loaded machine, well beyond the half-second polls.
    fs.writeFileSync(
      path.join(shims, "siege"),
      `#!/usr/bin/perl
$| = 1;
print "HTTP/1.1 200     0.00 secs:     612 bytes ==> GET  /\\n";
my $stop = 0;
$SIG{INT} = sub { $stop = 1 };
sleep 1 until $stop;
sleep 4;
open(my $f, "<", "${shims}/report.txt");
print STDERR <$f>;
exit 0;
`,
      { mode: 0o755 },
    );
    const started = Date.now();
    const run = await runScript(cluster.env({ FAKE_OUTAGE_SECONDS: "0", PATH: `${shims}:${fakeCluster}:${process.env.PATH}` }));
    if (process.env.SHOW_SCRIPT_OUTPUT) console.log(run.stdout, run.stderr);
    expect(run.stderr).not.toContain("did not exit 10s after SIGINT");
    const measurement = parseRolloutOutput(run.stdout);
    expect([measurement.status, measurement.reason]).toEqual(["ok", undefined]);
    expect(measurement.report!.transactions).toBeGreaterThan(0);
    // The script waited for the report: at least the 4 s after the stop.
    expect(Date.now() - started).toBeGreaterThan(4000);
    expect(siegeProcesses(shims)).toEqual([]);
    fs.rmSync(shims, { recursive: true, force: true });
  });
});
