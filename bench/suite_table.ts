/**
 * The suite's table (bench/suite.ts): every measured figure beside its same-run baseline and
 * its target, from the results the suite wrote (or reads back with `--render`).
 */
import {
  FIRE_HEADER,
  type FireBenchResult,
  fireRows,
  ofPrototype,
  printTable,
} from "./fire_table.ts";
import { SCALE_HEADER, type ScaleResult, scaleRows } from "./scale_bench.ts";
import type { CreateResult } from "./create_bench.ts";

/** One `deno bench` result as the suite keeps it. */
export interface MicroRow {
  file: string;
  group: string | null;
  name: string;
  avgNs: number;
  p99Ns: number;
}

// deno-lint-ignore no-explicit-any
type Json = any;

function ns(v: number): string {
  if (v >= 1e6) return `${(v / 1e6).toFixed(2)} ms`;
  if (v >= 1e3) return `${(v / 1e3).toFixed(1)} us`;
  return `${v} ns`;
}

/** Prints the suite's table from `results` (what bench/results/suite.json holds). */
export function printSuite(results: Record<string, Json>): void {
  const microRows = (results.micro as MicroRow[]) ?? [];
  const fire = (results.fire as FireBenchResult) ?? null;
  const create = (results.create as CreateResult) ?? null;
  const scheduler = results.scheduler ?? null;
  const logs = results.logs ?? null;
  const scale = (results.scale as ScaleResult) ?? null;
  const errors = (results.errors as string[]) ?? [];
  const m = results.machine as Json;
  console.log(
    `\nTock benchmark suite, ${m.date}: ${m.nproc} cores (${m.cpuModel}), ${m.memory}, Deno ${m.deno}; ` +
      `load average ${m.loadavgAtStart} at start, ${results.loadavgAtEnd} at end (shared machine)\n`,
  );
  const rows: string[][] = [];
  const dms = (d: Json) => (d ? `${d.p50} / ${d.p99} / ${d.max}` : "n/a");

  if (fire) {
    const f = fire as FireBenchResult;
    const by = (n: string) => f.targets.find((t) => t.name === n);
    const tock = by("tock"), legacy = by("tock-legacy"), tcp = by("tock-tcp");
    const base = ["hello", "hono", "kv-single", "kv-group"].map((n) => by(n)).filter((t) => t)
      .map((t) => `${t!.what}: ${t!.load.rps}/s (p99 ${t!.load.latencyMs.p99})`).join("; ");
    for (
      const [t, label] of [[tock, "REST POST /api/triggers/:id/fire"], [
        legacy,
        "legacy POST /trigger_api",
      ]] as const
    ) {
      if (!t) continue;
      rows.push([
        `fire throughput, ${label}, ${f.connections} connections`,
        `${t.load.rps}/s = ${
          ofPrototype(f, t)
        } of the group-commit prototype, p50 ${t.load.latencyMs.p50} ms, p99 ${t.load.latencyMs.p99} ms`,
        base,
        ">= 70% of the prototype, p99 <= 10 ms",
      ]);
      rows.push([
        `fire: ${label}, entries listed by GET /api/logs vs 2xx answers`,
        `${t.stored} listed / ${
          t.load.warmupOk + t.load.ok
        } answered: lost ${t.lost}, duplicated ${t.duplicated}`,
        "",
        "0 lost, 0 duplicated",
      ]);
    }
    if (tcp) {
      const hello = by("hello-tcp"), proto = by("kv-group-tcp");
      rows.push([
        "fire throughput, raw-TCP load client",
        `${tcp.load.rps}/s = ${
          ofPrototype(f, tcp)
        } of the prototype (same client), p50 ${tcp.load.latencyMs.p50} ms, p99 ${tcp.load.latencyMs.p99} ms; lost ${tcp.lost}, dup ${tcp.duplicated}`,
        [
          proto &&
          `group-commit prototype, same client: ${proto.load.rps}/s (p99 ${proto.load.latencyMs.p99})`,
          hello && `raw Deno.serve hello-world, same client: ${hello.load.rps}/s`,
        ].filter(Boolean).join("; "),
        ">= 70% of the prototype, p99 <= 10 ms",
      ]);
    }
    if (f.kvCeiling) {
      const k = f.kvCeiling;
      rows.push([
        `KV alone (no HTTP), ${k.writers} writers, group-committed`,
        `${k.grouped.perSecond}/s (${k.grouped.avgBatch} per commit, ${k.grouped.msPerCommit} ms each)`,
        `one kv.atomic per firing: ${k.single.perSecond}/s`,
        "",
      ]);
    }
    if (legacy) {
      rows.push([
        "/trigger_api throughput",
        `${legacy.load.rps}/s, p99 ${legacy.load.latencyMs.p99} ms; lost ${legacy.lost}, dup ${legacy.duplicated}`,
        "",
        "",
      ]);
    }
  }
  if (create) {
    const [tock, group, single] = create.rows;
    rows.push([
      "create triggers, POST /api/triggers, 50 connections",
      `${tock.perSecond}/s = ${Math.round(create.ofPrototype * 100)}% of the create prototype, ` +
      `p99 ${tock.p99} ms, ${tock.serverCpuUs} us server CPU each, ${tock.failed} failed`,
      `${group.name}: ${group.perSecond}/s (${group.serverCpuUs} us); ` +
      `${single.name}: ${single.perSecond}/s`,
      ">= 8,000/s",
    ]);
  }
  if (scheduler) {
    const s = scheduler;
    const base = [
      s.timeout ? `setTimeout ${dms(s.timeout)}` : "",
      s.enqueue ? `kv.enqueue ${dms(s.enqueue)}` : "",
    ].filter(Boolean).join("; ");
    if (s.spread) {
      rows.push([
        `lateness p50/p99/max ms, ${s.spread.n} due (spread)`,
        `${dms(s.spread)}; dup ${s.spread.duplicates}, missing ${s.spread.missing}`,
        base,
        "",
      ]);
    }
    if (s.burst) {
      rows.push([
        `lateness p50/p99/max ms, ${s.burst.n} due at one instant`,
        `${dms(s.burst)}; dup ${s.burst.duplicates}, missing ${s.burst.missing}`,
        s.enqueue ? `kv.enqueue ${s.enqueue.n} due: ${dms(s.enqueue)}` : "",
        "",
      ]);
      rows.push([
        `burst claim: all ${s.burst.n} committed after`,
        `${s.burst.allCommittedAfterMs} ms`,
        s.burstFloor ? `raw kv.atomic, the same claims' commits alone: ${s.burstFloor.ms} ms` : "",
        "10,000 in <= 300 ms",
      ]);
    }
  }
  if (logs) {
    const h = logs.http;
    const raw = `raw kv.list 50: ${dms(logs.baseline?.kvList50)}; GET /healthz: ${
      dms(h.healthBaseline)
    }`;
    rows.push([`GET /api/logs?limit=50, ${logs.entries} entries`, dms(h.listNewest50), raw, ""]);
    rows.push(["  following the cursor", dms(h.listCursorPage), "", ""]);
    rows.push(["  one trigger's newest 50", dms(h.listOneTrigger50), "", ""]);
    rows.push([`GET /api/logs/stats, ${logs.entries} entries`, dms(h.stats), "", ""]);
  }
  const ss = results.statsScale ?? null;
  if (ss) {
    const few = `with 5 triggers ${ss.fewTriggers.stats.p50} / ${ss.fewTriggers.sweep.p50} ms`;
    rows.push([
      `stats / idle sweep, ${ss.triggers} more triggers stored`,
      `${ss.manyTriggers.stats.p50} / ${ss.manyTriggers.sweep.p50} ms`,
      `${few}; raw kv.get ${ss.manyTriggers.kvGet.p50} ms`,
      "not growing",
    ]);
    const w = ss.everyTriggerWithEntries;
    if (w) {
      const kib = (b: number) => `${Math.round(b / 1024)} KiB`;
      const one = Object.values(w).at(-1) as { p50: number }; // ?trigger=<id>
      rows.push([
        `stats, ${ss.triggers + 5} triggers with entries: ?top=10 / ?trigger=`,
        `${w["?top=10"].p50} / ${one.p50} ms`,
        `every row ${w["(all)"].p50} ms, ${kib(w["(all)"].bytes)}`,
        "",
      ]);
    }
  }
  if (scale) {
    const s = scale as ScaleResult;
    const last = s.steps[s.steps.length - 1];
    rows.push([
      `start-up with ${last.triggers} triggers`,
      `${last.startupMs} ms`,
      `empty store ${s.baselines.emptyStartupMs} ms; raw Deno.serve ${s.baselines.helloStartupMs} ms`,
      "<= 2,000 ms",
    ]);
    rows.push([
      `RSS with ${last.triggers} triggers (idle / after firing)`,
      `${last.rssMbIdle} / ${last.rssMbAfterFiring} MB`,
      `empty store ${s.baselines.emptyRssMb} MB; raw Deno.serve ${s.baselines.helloRssMb} MB`,
      "<= 200 MB",
    ]);
    rows.push([
      `GET /api/triggers?limit=50, ${last.triggers} triggers`,
      `first ${dms(last.listFirstPageMs)}; cursor ${dms(last.listCursorPageMs)}`,
      "",
      "<= 20 ms",
    ]);
    rows.push([
      "create triggers through the API (50 connections)",
      s.steps.map((x) => `${x.create.perSecond}/s`).join(", "),
      "",
      "",
    ]);
    rows.push([
      "steady lateness p50/p99/max ms at " + s.steps.map((x) => x.triggers).join(" / "),
      s.steps.map((x) => dms(x.steady.lateMs)).join("  |  "),
      "",
      "flat",
    ]);
    rows.push([
      "server CPU per firing at " + s.steps.map((x) => x.triggers).join(" / "),
      s.steps.map((x) => `${x.steady.serverCpuUsPerFiring} us`).join(" / "),
      "",
      "flat",
    ]);
  }
  const pick = (re: RegExp) => microRows.filter((r) => re.test(r.name));
  for (
    const r of pick(
      /^planClaim\(\) on time, cron UTC|^keys of one firing|^nextOccurrence: cron 5|^100 /,
    )
  ) {
    rows.push([`micro: ${r.name}`, ns(r.avgNs), "", ""]);
  }
  printTable(["measure", "Tock", "baseline (same run)", "target"], rows);
  if (fire) {
    console.log("\nFire throughput, every target:");
    printTable(
      FIRE_HEADER,
      fireRows(fire as FireBenchResult),
    );
  }
  if (scale) {
    console.log("\nStored triggers:");
    printTable(SCALE_HEADER, scaleRows(scale as ScaleResult));
  }
  if (errors.length) console.log(`\nFailed parts:\n  ${errors.join("\n  ")}`);
  console.log(`\n${results.seconds} s; wrote bench/results/suite.json`);
}
