// Turns fortio's access log and log (ACCESS_LOG, FORTIO_LOG: files) into fortio's study-* lines of
// scripts/rollout-test.sh (lib/fortio.ts says which). Run by scripts/load-fortio.sh with ts-node.
// Env: RESTART_AT, STOP_AT (seconds since the epoch, this machine's clock), CLOCK_OFFSET (how far the
// clock of fortio's records runs ahead of this machine's), QPS, POD_LINES (the test's study-pod lines).
import * as fs from "fs";
import { fortioSummaryLines, parseAccessLog, parseFortioLog } from "../lib/fortio";

const env = (name: string): string => {
  const value = process.env[name];
  if (value === undefined) throw new Error(`summarize-fortio: ${name} is not set`);
  return value;
};
const pods = env("POD_LINES")
  .split("\n")
  .flatMap((line) => {
    const [, deleted, gone] = line.match(/^study-pod: \S+ deleted=(-?[\d.]+) gone=(-?[\d.]+|never)$/) ?? [];
    return deleted ? [{ deletedSeconds: Number(deleted), ...(gone !== "never" && { goneSeconds: Number(gone) }) }] : [];
  });
const lines = fortioSummaryLines({
  records: parseAccessLog(fs.readFileSync(env("ACCESS_LOG"), "utf8")),
  log: parseFortioLog(fs.readFileSync(env("FORTIO_LOG"), "utf8")),
  // On the records' clock, so that each record's time from the restart is this machine's.
  restartAt: Number(env("RESTART_AT")) + Number(env("CLOCK_OFFSET")),
  stopAt: Number(env("STOP_AT")) + Number(env("CLOCK_OFFSET")),
  qps: Number(env("QPS")),
  pods,
});
process.stdout.write(lines.map((line) => `${line}\n`).join(""));
