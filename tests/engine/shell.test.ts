// What a person does in a plain shell with the engine toolchain, as docs/contributing.md says it, word for word.
import { describeWithToolchain, newLab, probeToolchain, removeLab, run } from "./engine";
import { settledLeftovers } from "./observe";

const toolchain = probeToolchain();

describeWithToolchain(toolchain)("a plain shell with npm run engine:env", () => {
  test("pulumi stack init, up and destroy run the lab with its defaults and leave nothing", async () => {
    const lab = newLab("shell");
    const session = [
      'eval "$(npm run --silent engine:env -- "$STATE")"',
      "pulumi stack init x",
      'pulumi config set istioChartRepo "$ENGINE_ISTIO_CHARTS"',
      'pulumi config set istioVersion "$ENGINE_ISTIO_VERSION"',
      "pulumi up --yes",
      "pulumi stack output summary",
      "pulumi destroy --yes",
    ].join(" && ");
    // Only what a login shell has: no engine variables from this process.
    const plain = { PATH: process.env.PATH, HOME: process.env.HOME, STATE: lab.state };
    const shell = await run(lab, "bash", ["-c", session], { env: { ...plain }, timeoutMs: 20 * 60 * 1000 });
    if (shell.code !== 0) console.log(shell.stdout.slice(-5000), shell.stderr.slice(-3000));
    expect(shell.code).toBe(0);
    expect(shell.stdout).toMatch(/injection=false variant=hook sidecar=none: 100(\.00)? % available/);
    expect(await settledLeftovers(lab)).toEqual({ clusters: [], processes: [] });
    removeLab(lab, true);
  });
});
