import * as command from "@pulumi/command";
import * as pulumi from "@pulumi/pulumi";

export interface VerdictArgs {
  /** One line per failed measurement or case above the gate; empty when there is none. */
  failures: pulumi.Input<string[]>;
  /** What the update shows as warnings, without failing. */
  warnings: pulumi.Input<string[]>;
  after: pulumi.Resource[];
}

/**
 * Fails the update when a measurement failed, or a case is above the gate, so that nobody takes a
 * partial study for a complete one. Logging an error would not do: Pulumi still reports success
 * (pulumi/pulumi#5085).
 */
export class Verdict extends pulumi.ComponentResource {
  constructor(name: string, args: VerdictArgs, opts?: pulumi.ComponentResourceOptions) {
    super("istio-exit-study:index:Verdict", name, {}, opts);
    new command.local.Command(
      `${name}-check`,
      {
        create: 'if [ -n "$STUDY_FAILURES" ]; then printf "%s\\n" "$STUDY_FAILURES" >&2; exit 1; fi',
        environment: { STUDY_FAILURES: pulumi.output(args.failures).apply((lines) => lines.join("\n")) },
        addPreviousOutputInEnv: false,
      },
      { parent: this, dependsOn: args.after },
    );
    pulumi.output(args.warnings).apply((lines) => lines.forEach((line) => pulumi.log.warn(line, this)));
    this.registerOutputs({});
  }
}
