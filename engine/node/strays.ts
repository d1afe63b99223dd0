// Reads what engine/node/observe.sh captured on cni0 during a run of engine/node/series.sh and says,
// connect by connect, how this machine's load reached the pods:
//   npx ts-node --transpile-only engine/node/strays.ts RUN_DIR...
// A connect of the load is known by its initial sequence number, which kube-proxy's NAT leaves alone
// while it rewrites addresses and ports: each time the socket sends its SYN, the masquerade may give
// it another source port (--random-fully), and another pod. For each SYN sent, the capture shows
// whether the pod answered with a SYN-ACK, or with a bare ACK that the host's socket, still waiting
// for its SYN-ACK, answers with a RST: the pod held a socket in TIME-WAIT on that very 4-tuple and
// refused the SYN (net/ipv4/tcp_minisocks.c, tcp_timewait_state_process). The tuple's previous
// connection tells whether the refusal was PAWS's: the new SYN's timestamp older than the last one
// the pod saw on that tuple (counted by the pod as PAWSTimewait), which happens when two connections
// of different source ports on this machine, each with a timestamp offset of its own
// (net/core/secure_seq.c, secure_tcp_seq_and_ts_off), are masqueraded to the same port.
// Besides the capture, the run's fortio folder (series.sh keeps it) gives each failure's own words.
import { execFileSync } from "child_process";
import * as fs from "fs";
import * as path from "path";

export interface Packet {
  at: number;
  src: string;
  dst: string;
  flags: string;
  seq?: number;
  ack?: number;
  tsval?: number;
  mss?: number;
  length: number;
}

/** tcpdump's lines (-tt -nn -S): time, addresses, flags, absolute sequence numbers, options. */
export function parseTcpdump(text: string): Packet[] {
  const packets: Packet[] = [];
  for (const line of text.split("\n")) {
    const m = line.match(/^(\d+\.\d+) IP (\S+) > (\S+): Flags \[([^\]]*)\](.*)$/);
    if (!m) continue;
    const rest = m[5];
    const num = (re: RegExp) => {
      const found = rest.match(re);
      return found ? Number(found[1]) : undefined;
    };
    packets.push({
      at: Number(m[1]),
      src: m[2],
      dst: m[3].replace(/:$/, ""),
      flags: m[4],
      seq: num(/ seq (\d+)/),
      ack: num(/ ack (\d+)/),
      tsval: num(/TS val (\d+)/),
      mss: num(/mss (\d+)/),
      length: num(/ length (\d+)/) ?? 0,
    });
  }
  return packets;
}

/** Whether timestamp a is before b, in 32-bit sequence space (include/net/tcp.h, before()). */
const before32 = (a: number, b: number) => ((a - b) | 0) < 0;

/** One SYN sent by a connect: on which 4-tuple, and how the pod answered it. */
export interface SynSend {
  at: number;
  tuple: string;
  /** The pod answered with a SYN-ACK. */
  accepted: boolean;
  /** The host answered a bare ACK of the pod with a RST within 10 ms: refused from TIME-WAIT. */
  refused: boolean;
  /** The tuple's previous connection: how long before it last sent, and whether this SYN's timestamp is older than its last. */
  previous?: { agoSeconds: number; olderTimestamp: boolean };
}

export interface Connect {
  isn: number;
  at: number;
  sends: SynSend[];
  /** Seconds from the first SYN to the SYN-ACK; undefined: none came. */
  connectedAfter?: number;
}

interface TupleHistory {
  lastClientAt: number;
  lastClientTsval?: number;
}

/**
 * Every connect of this machine's load in the capture. The load's SYNs are known by their MSS: sent on
 * the load's veth, whose MTU is the loopback's (engine/node/host.sh, prepare_load_path), they carry
 * 65495, the kubelet's probes the bridge's.
 */
export function loadConnects(packets: Packet[], client = "10.88.0.1", loadMss = 65495): Connect[] {
  const connects = new Map<number, Connect>();
  const history = new Map<string, TupleHistory>();
  const open = new Map<string, SynSend>();
  const isClient = (endpoint: string) => endpoint.startsWith(`${client}.`);
  for (const p of packets) {
    const fromClient = isClient(p.src);
    // Replies are seen here with the destination already turned back into the load's address and
    // the original port (br_netfilter's PREROUTING), so the tuple of a reply is found by what it
    // answers.
    const tuple = fromClient ? `${p.src}>${p.dst}` : undefined;
    if (fromClient && p.flags === "S" && p.mss === loadMss && p.seq !== undefined) {
      const h = history.get(tuple!);
      const send: SynSend = {
        at: p.at,
        tuple: tuple!,
        accepted: false,
        refused: false,
        ...(h && {
          previous: {
            agoSeconds: Math.round((p.at - h.lastClientAt) * 1000) / 1000,
            olderTimestamp: h.lastClientTsval !== undefined && p.tsval !== undefined && before32(p.tsval, h.lastClientTsval),
          },
        }),
      };
      const c = connects.get(p.seq) ?? { isn: p.seq, at: p.at, sends: [] };
      c.sends.push(send);
      connects.set(p.seq, c);
      open.set(tuple!, send);
      history.set(tuple!, { lastClientAt: p.at, lastClientTsval: p.tsval });
      continue;
    }
    if (!fromClient && p.flags === "S." && p.ack !== undefined) {
      const c = connects.get((p.ack - 1 + 2 ** 32) % 2 ** 32);
      if (c && c.connectedAfter === undefined) {
        c.connectedAfter = Math.round((p.at - c.at) * 1000) / 1000;
        c.sends[c.sends.length - 1].accepted = true;
      }
      continue;
    }
    if (!tuple) continue;
    const send = open.get(tuple);
    if (send && !send.accepted && p.flags === "R" && p.at - send.at < 0.01) send.refused = true;
    const h = history.get(tuple);
    if (h) {
      h.lastClientAt = p.at;
      if (p.tsval !== undefined) h.lastClientTsval = p.tsval;
    }
  }
  return [...connects.values()].sort((a, b) => a.at - b.at);
}

/** fortio's failures of a run, with the words of its log line (series.sh keeps fortio's folder). */
function fortioFailureWords(dir: string): Map<string, number> {
  const words = new Map<string, number>();
  const log = path.join(dir, "work-fortio", "fortio.log");
  if (!fs.existsSync(log)) return words;
  for (const line of fs.readFileSync(log, "utf8").split("\n")) {
    if (!line.startsWith("{")) continue;
    try {
      const entry = JSON.parse(line);
      if (entry.level !== "err") continue;
      const key = `${entry.msg}: ${String(entry.err ?? "").replace(/127\.0\.0\.1:\d+->/, "").replace(/:\d+->/, "->")}`;
      words.set(key, (words.get(key) ?? 0) + 1);
    } catch {
      // not a log line
    }
  }
  return words;
}

/** From fortio's first request to its last one's end at the latest (a 2 s timeout), by its access log. */
function fortioSpan(dir: string): { from: number; to: number } | undefined {
  const log = path.join(dir, "work-fortio", "access.log");
  if (!fs.existsSync(log)) return undefined;
  const starts = fs
    .readFileSync(log, "utf8")
    .split("\n")
    .flatMap((line) => {
      const m = line.match(/"timestamp":(\d+)/);
      return m ? [Number(m[1]) / 1e9] : [];
    });
  if (starts.length === 0) return undefined;
  return { from: Math.min(...starts) - 0.5, to: Math.max(...starts) + 2.5 };
}

export function summary(connects: Connect[]) {
  const sends = connects.flatMap((c) => c.sends);
  const refused = sends.filter((s) => s.refused);
  return {
    connects: connects.length,
    sends: sends.length,
    refused: refused.length,
    refusedWithOlderTimestamp: refused.filter((s) => s.previous?.olderTimestamp && s.previous.agoSeconds < 60).length,
    refusedWithoutPrevious: refused.filter((s) => !s.previous).length,
    connectedAtOnce: connects.filter((c) => c.connectedAfter !== undefined && c.connectedAfter < 0.5).length,
    connectedAfterASecondOrMore: connects.filter((c) => c.connectedAfter !== undefined && c.connectedAfter >= 0.5).length,
    neverConnected: connects.filter((c) => c.connectedAfter === undefined).length,
    neverConnectedAllRefused: connects.filter((c) => c.connectedAfter === undefined && c.sends.every((s) => s.refused)).length,
  };
}

/** The counters' increase between two times: the host's, the load's, and the pods' summed over their namespaces (observe.sh's counters.tsv). */
export function counterDeltas(tsv: string, from: number, to: number): Record<string, number> {
  const first = new Map<string, number>();
  const last = new Map<string, number>();
  for (const line of tsv.split("\n")) {
    const [at, ns, name, value] = line.split("\t");
    if (value === undefined || name === "TimeWait" || Number.isNaN(Number(value))) continue;
    const t = Number(at);
    if (t < from - 1 || t > to + 1) continue;
    const key = `${ns === "host" || ns === "load" ? ns : "pods"} ${name}\t${ns}`;
    if (!first.has(key)) first.set(key, Number(value));
    last.set(key, Number(value));
  }
  const sums: Record<string, number> = {};
  for (const [key, value] of last) {
    const name = key.split("\t")[0];
    sums[name] = (sums[name] ?? 0) + value - first.get(key)!;
  }
  return Object.fromEntries(Object.entries(sums).filter(([, v]) => v !== 0));
}

function main(dirs: string[]): void {
  if (dirs[0] === "--table") {
    for (const dir of dirs.slice(1)) table(dir);
    return;
  }
  for (const dir of dirs) {
    const results = JSON.parse(fs.readFileSync(path.join(dir, "results.json"), "utf8")).results?.[0];
    const text = execFileSync("tcpdump", ["-r", path.join(dir, "cni0.pcap"), "-tt", "-nn", "-S"], {
      encoding: "utf8",
      maxBuffer: 2 ** 31 - 1,
      stdio: ["ignore", "pipe", "ignore"],
    });
    const all = loadConnects(parseTcpdump(text));
    // fortio's own connects: from its first request to its last one's timeout (its access log).
    const span = fortioSpan(dir);
    const connects = span ? all.filter((c) => c.at >= span.from && c.at <= span.to) : all;
    console.log(JSON.stringify({ run: dir, requests: results?.requests, failures: results?.failures, errors: results?.errors, ...summary(connects) }));
    if (span && connects.length < all.length) console.log(`  before fortio's record (siege's, in siege-fortio; fortio's unrecorded warm-up): ${JSON.stringify(summary(all.filter((c) => c.at < span.from)))}`);
    for (const [words, count] of fortioFailureWords(dir)) console.log(`  fortio: ${count} × ${words}`);
    const restartAt = results?.measuredAt ? Date.parse(results.measuredAt) / 1000 : 0;
    for (const c of connects.filter((x) => x.connectedAfter === undefined || x.connectedAfter >= 0.5).slice(0, 40)) {
      const sends = c.sends.map((s) => `${(s.at - c.at).toFixed(3)}s ${s.tuple}${s.accepted ? " accepted" : s.refused ? " refused" : " unanswered"}${s.previous ? ` (tuple last used ${s.previous.agoSeconds}s before${s.previous.olderTimestamp ? ", older timestamp" : ""})` : ""}`);
      console.log(`  connect at ${(c.at - restartAt).toFixed(3)} s, ${c.connectedAfter === undefined ? "never connected" : `connected after ${c.connectedAfter} s`}: ${sends.join("; ")}`);
    }
  }
}

/** One line for a run: fortio's figures, its connects refused from TIME-WAIT, and the counters over its span. */
function table(dir: string): void {
  const results = JSON.parse(fs.readFileSync(path.join(dir, "results.json"), "utf8")).results?.[0];
  const span = fortioSpan(dir);
  const text = execFileSync("tcpdump", ["-r", path.join(dir, "cni0.pcap"), "-tt", "-nn", "-S"], {
    encoding: "utf8",
    maxBuffer: 2 ** 31 - 1,
    stdio: ["ignore", "pipe", "ignore"],
  });
  const all = loadConnects(parseTcpdump(text));
  const connects = span ? all.filter((c) => c.at >= span.from && c.at <= span.to) : all;
  const s = summary(connects);
  const counters = span ? counterDeltas(fs.readFileSync(path.join(dir, "counters.tsv"), "utf8"), span.from, span.to) : {};
  console.log(
    [dir, results?.requests, results?.failures, JSON.stringify(results?.failureTimes?.map((f: { atSeconds: number; kind: string }) => `${f.atSeconds}:${f.kind}`) ?? []),
      s.connects, s.sends, s.refused, s.refusedWithOlderTimestamp, s.connectedAfterASecondOrMore, s.neverConnected, JSON.stringify(counters)].join("\t"),
  );
}

if (require.main === module) main(process.argv.slice(2));
