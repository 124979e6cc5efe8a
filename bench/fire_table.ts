/** The fire benchmark's table (bench/fire_bench.ts): rows, Tock as a fraction of the prototype. */
import type { KvCeiling } from "./fire_kv_ceiling.ts";
import type { LoadResult } from "./load.ts";

export interface FireTarget {
  name: string;
  /** What the row measures, for the table. */
  what: string;
  load: LoadResult;
  /** Load average while it ran (others share this machine). */
  loadavg: number;
  /** CPU per measured request: the server's threads and the load generator, in us. */
  serverCpuUs?: number;
  loadgenCpuUs: number;
  /** Throughput of every round (the row itself is the median round's). */
  rpsRounds?: number[];
  /** Tock only: entries counted in KV afterwards against the 2xx answers. */
  stored?: number;
  lost?: number;
  duplicated?: number;
}

export interface FireBenchResult {
  connections: number;
  seconds: number;
  rounds: number;
  targets: FireTarget[];
  /** The same writes without HTTP: one process, 50 writers, single vs group commits. */
  kvCeiling: KvCeiling | null;
}

/**
 * Throughput of `t` as a fraction of the group-commit prototype driven by the same client
 * (kv-group, or kv-group-tcp for the raw-TCP rows): round by round (each round runs every
 * target once, one after another), the median of the rounds' ratios.
 */
export function ofPrototype(r: FireBenchResult, t: FireTarget): string {
  const same = t.name.endsWith("-tcp") ? r.targets.find((x) => x.name === "kv-group-tcp") : null;
  const proto = same ?? r.targets.find((x) => x.name === "kv-group");
  if (!proto) return "n/a";
  const mine = t.rpsRounds ?? [t.load.rps];
  const theirs = proto.rpsRounds ?? [proto.load.rps];
  const ratios = mine.map((v, i) => v / (theirs[i] ?? theirs[0]));
  const pct = (x: number) => Math.round(100 * x);
  if (ratios.length === 1) return `${pct(ratios[0])}%`;
  return `${pct(median(ratios))}% (${pct(Math.min(...ratios))}-${pct(Math.max(...ratios))})`;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[s.length >> 1] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
}

export const FIRE_HEADER = [
  "target",
  "throughput",
  "p50 ms",
  "p99 ms",
  "entries",
  "of prototype",
  "CPU us/req server + loadgen",
  "loadavg",
];

/** The table rows of a result. */
export function fireRows(r: FireBenchResult): string[][] {
  return r.targets.map((t) => [
    t.what,
    t.rpsRounds && t.rpsRounds.length > 1
      ? `${t.load.rps}/s (${Math.min(...t.rpsRounds)}-${Math.max(...t.rpsRounds)})`
      : `${t.load.rps}/s`,
    `${t.load.latencyMs.p50}`,
    `${t.load.latencyMs.p99}`,
    t.stored === undefined
      ? `${t.load.ok} ok, ${t.load.requests - t.load.ok} failed`
      : `${t.stored} stored / ${
        t.load.warmupOk + t.load.ok
      } answered, lost ${t.lost}, dup ${t.duplicated}`,
    ofPrototype(r, t),
    `${t.serverCpuUs ?? "?"} + ${t.loadgenCpuUs}`,
    `${t.loadavg}`,
  ]);
}

export function printTable(header: string[], rows: string[][]): void {
  const all = [header, ...rows];
  const widths = header.map((_, i) => Math.max(...all.map((r) => (r[i] ?? "").length)));
  for (const r of all) console.log(r.map((c, i) => (c ?? "").padEnd(widths[i])).join("  "));
}
