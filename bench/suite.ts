/**
 * `deno task bench`: the whole benchmark suite in one run, every figure beside a baseline
 * measured in the same run on the same machine. Prints one table and writes
 * bench/results/suite.json (each part also writes its own file there).
 *
 * Parts, in order: microbenchmarks (`deno bench`), on-demand firing throughput
 * (bench/fire_bench.ts), scheduled lateness and burst claims (the scheduler's
 * bench/scheduler_lateness.ts, as a subprocess), log listing and stats at 100,000 entries
 * (bench/logs_bench.ts), and 100,000 stored triggers
 * (bench/scale_bench.ts). All load is generated on 127.0.0.1, bounded in count and time; the
 * suite takes about ten minutes.
 *
 *   deno task bench [--only micro,fire,scheduler,logs,scale] [--quick] [--render]
 */
import { parseArgs } from "node:util";
import {
  benchFire,
  FIRE_HEADER,
  type FireBenchResult,
  fireRows,
  loadavg1,
  ofPrototype,
  printTable,
} from "./fire_bench.ts";
import { benchScale, SCALE_HEADER, type ScaleResult, scaleRows } from "./scale_bench.ts";

const RESULTS = new URL("./results/", import.meta.url);
const BENCH = new URL("./", import.meta.url);
const ROOT = new URL("../", import.meta.url);

const { values } = parseArgs({
  args: Deno.args,
  options: {
    only: { type: "string", default: "micro,fire,scheduler,logs,scale" },
    quick: { type: "boolean", default: false },
    render: { type: "boolean", default: false },
  },
});
const parts = new Set(values.only!.split(","));
const quick = values.quick!;
/** Only print the table again from bench/results/suite.json. */
const render = values.render!;

async function exists(url: URL): Promise<boolean> {
  try {
    await Deno.stat(url);
    return true;
  } catch {
    return false;
  }
}

async function sh(cmd: string, args: string[]): Promise<string> {
  try {
    const out = await new Deno.Command(cmd, { args, stdout: "piped", stderr: "null" }).output();
    return new TextDecoder().decode(out.stdout).trim();
  } catch {
    return "";
  }
}

/** Runs a bench script as a subprocess; its own output goes to our stderr. */
async function runScript(file: string, args: string[] = []): Promise<boolean> {
  const status = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", file, ...args],
    cwd: ROOT,
    stdout: "inherit",
    stderr: "inherit",
  }).spawn().status;
  return status.success;
}

async function machine() {
  const cpuinfo = await Deno.readTextFile("/proc/cpuinfo").catch(() => "");
  return {
    date: new Date().toISOString(),
    nproc: await sh("nproc", []),
    cpuModel: /model name\s*:\s*(.*)/.exec(cpuinfo)?.[1] ?? "unknown",
    memory: (await sh("free", ["-h"])).split("\n")[1]?.replace(/\s+/g, " ") ?? "",
    deno: Deno.version.deno,
    v8: Deno.version.v8,
    loadavgAtStart: await loadavg1(),
  };
}

interface MicroRow {
  file: string;
  group: string | null;
  name: string;
  avgNs: number;
  p99Ns: number;
}

async function micro(): Promise<MicroRow[]> {
  const files = ["bench/micro_bench.ts"];
  if (await exists(new URL("next_occurrence_bench.ts", BENCH))) {
    files.push("bench/next_occurrence_bench.ts");
  }
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["bench", "-A", "--json", ...files],
    cwd: ROOT,
    stdout: "piped",
    stderr: "inherit",
  }).output();
  const json = JSON.parse(new TextDecoder().decode(out.stdout)) as {
    benches: {
      origin: string;
      group: string | null;
      name: string;
      results: { ok?: { avg: number; p99: number } }[];
    }[];
  };
  return json.benches.map((b) => ({
    file: b.origin.replace(/^.*\/bench\//, ""),
    group: b.group,
    name: b.name,
    avgNs: Math.round(b.results[0]?.ok?.avg ?? NaN),
    p99Ns: Math.round(b.results[0]?.ok?.p99 ?? NaN),
  }));
}

function ns(v: number): string {
  if (v >= 1e6) return `${(v / 1e6).toFixed(2)} ms`;
  if (v >= 1e3) return `${(v / 1e3).toFixed(1)} us`;
  return `${v} ns`;
}

// deno-lint-ignore no-explicit-any
type Json = any;

async function readJson(name: string): Promise<Json | null> {
  try {
    return JSON.parse(await Deno.readTextFile(new URL(name, RESULTS)));
  } catch {
    return null;
  }
}

const started = performance.now();
await Deno.mkdir(RESULTS, { recursive: true });
const results: Record<string, unknown> = render
  ? JSON.parse(await Deno.readTextFile(new URL("suite.json", RESULTS)))
  : { machine: await machine() };
const errors: string[] = [];
const step = async (name: string, fn: () => Promise<void>) => {
  if (!parts.has(name) || render) return;
  const t0 = performance.now();
  console.error(`\n== ${name}`);
  try {
    await fn();
  } catch (err) {
    errors.push(`${name}: ${(err as Error).message}`);
    console.error(`${name} failed:`, err);
  }
  console.error(`== ${name} took ${Math.round((performance.now() - t0) / 1000)} s`);
};

let microRows: MicroRow[] = [];
await step("micro", async () => {
  microRows = await micro();
  results.micro = microRows;
});

let fire: FireBenchResult | null = null;
await step("fire", async () => {
  fire = await benchFire({ seconds: quick ? 3 : 8, connections: 50, rounds: quick ? 1 : 3 });
  results.fire = fire;
  await Deno.writeTextFile(new URL("fire.json", RESULTS), JSON.stringify(fire, null, 2) + "\n");
});

let scheduler: Json = null;
await step("scheduler", async () => {
  if (!(await exists(new URL("scheduler_lateness.ts", BENCH)))) {
    throw new Error("bench/scheduler_lateness.ts is missing");
  }
  const args = ["--scenario", "timeout,enqueue,spread,burst", "--stored", quick ? "0" : "100000"];
  if (quick) args.push("--n", "500");
  if (!(await runScript("bench/scheduler_lateness.ts", args))) {
    throw new Error("bench/scheduler_lateness.ts failed");
  }
  scheduler = await readJson("scheduler.json");
  results.scheduler = scheduler;
});

let logs: Json = null;
await step("logs", async () => {
  if (!(await runScript("bench/logs_bench.ts", quick ? ["--entries", "5000"] : []))) {
    throw new Error("bench/logs_bench.ts failed");
  }
  logs = await readJson("logs.json");
  results.logs = logs;
});

let scale: ScaleResult | null = null;
await step("scale", async () => {
  scale = await benchScale({
    sizes: quick ? [500, 2000] : [1000, 10_000, 100_000],
    steadySeconds: quick ? 3 : 6,
  });
  results.scale = scale;
  await Deno.writeTextFile(new URL("scale.json", RESULTS), JSON.stringify(scale, null, 2) + "\n");
});

if (render) {
  microRows = (results.micro as MicroRow[]) ?? [];
  fire = (results.fire as FireBenchResult) ?? null;
  scheduler = results.scheduler ?? null;
  logs = (results.logs as Json) ?? null;
  scale = (results.scale as ScaleResult) ?? null;
  errors.push(...((results.errors as string[]) ?? []));
} else {
  results.loadavgAtEnd = await loadavg1();
  results.seconds = Math.round((performance.now() - started) / 1000);
  results.errors = errors;
  await Deno.writeTextFile(new URL("suite.json", RESULTS), JSON.stringify(results, null, 2) + "\n");
}

// ---- the table ------------------------------------------------------------------------------
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
    const hello = by("hello-tcp");
    rows.push([
      "fire throughput, raw-TCP load client",
      `${tcp.load.rps}/s, p50 ${tcp.load.latencyMs.p50} ms, p99 ${tcp.load.latencyMs.p99} ms; lost ${tcp.lost}, dup ${tcp.duplicated}`,
      hello ? `raw Deno.serve hello-world, same client: ${hello.load.rps}/s` : "",
      "",
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
      "",
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
