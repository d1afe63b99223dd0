// Watches the pods of the Deployment that scripts/rollout-test.sh waits for, and ends as soon as a
// container of theirs cannot start (lib/podStart.ts decides), printing the sentence that names it on
// stdout; it runs until then, or until the script ends it. Run by rollout-test.sh with ts-node, once
// for each wait: one process polling kubectl, because ts-node's own start (about 0.3 s of CPU here)
// on every poll would take a core's share from the load the test measures.
// Env: KUBE_CONTEXT, NAMESPACE, POD_SELECTOR; POD_START_BOUND_SECONDS, the tests' shorter bound for
// a reason a retry may cure (lib/podStart.ts's CANNOT_START_AFTER_SECONDS when unset).
import { ChildProcess, execFile } from "child_process";
import { cannotStartSentence, CANNOT_START_AFTER_SECONDS, EventList, latestWarning, PodList, pollPodStart } from "../lib/podStart";

const env = (name: string): string => {
  const value = process.env[name];
  if (!value) throw new Error(`watch-pod-start: ${name} is not set`);
  return value;
};
const [context, namespace, selector] = [env("KUBE_CONTEXT"), env("NAMESPACE"), env("POD_SELECTOR")];
const bound = Number(process.env.POD_START_BOUND_SECONDS || CANNOT_START_AFTER_SECONDS);
const pollSeconds = 2;

let running: ChildProcess | undefined;
// Ended once the wait is over (SIGHUP, scripts/rollout-wait.sh's end_jobs; SIGTERM, the group's end
// when the provider gives up on the script): the kubectl under way goes too.
for (const [signal, status] of [["SIGHUP", 129], ["SIGTERM", 143]] as const) {
  process.on(signal, () => {
    running?.kill();
    process.exit(status);
  });
}

function kubectl(args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    running = execFile("kubectl", ["--context", context, "--namespace", namespace, ...args], { maxBuffer: 64 * 1024 * 1024 }, (error, stdout, stderr) => {
      running = undefined;
      if (error) reject(new Error(`kubectl ${args.join(" ")}: ${String(stderr).trim() || error.message}`));
      else resolve(stdout);
    });
  });
}

async function main(): Promise<void> {
  let since: Record<string, number> = {};
  for (;;) {
    try {
      const pods = JSON.parse(await kubectl(["get", "pods", "--selector", selector, "-o", "json"])) as PodList;
      const poll = pollPodStart(pods, since, Date.now() / 1000, bound);
      since = poll.since;
      if (poll.cannotStart.length > 0) {
        const events = await kubectl(["get", "events", "--field-selector", `involvedObject.name=${poll.cannotStart[0].pod}`, "-o", "json"])
          .then((out) => JSON.parse(out) as EventList)
          .catch((error: Error) => {
            process.stderr.write(`watch-pod-start: ${error.message}\n`);
            return { items: [] };
          });
        process.stdout.write(`${cannotStartSentence(poll.cannotStart, latestWarning(events, poll.cannotStart[0]))}\n`);
        return;
      }
    } catch (error) {
      // A poll that fails (the API server busy for a moment) leaves the rollout's own wait to decide.
      process.stderr.write(`watch-pod-start: ${(error as Error).message}\n`);
    }
    await new Promise((resolve) => setTimeout(resolve, pollSeconds * 1000));
  }
}

main().catch((error: Error) => {
  process.stderr.write(`watch-pod-start: ${error.message}\n`);
  process.exit(1);
});
