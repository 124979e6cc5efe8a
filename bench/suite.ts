/**
 * `deno task bench`: the whole benchmark suite in one run, every figure beside a baseline
 * measured in the same run on the same machine. Prints one table and writes
 * bench/results/suite.json (each part also writes its own file there).
 *
 * Parts, in order: microbenchmarks (`deno bench`), on-demand firing throughput
 * (bench/fire_bench.ts), trigger creation beside its prototype (bench/create_bench.ts),
 * scheduled lateness and burst claims beside their floor (the scheduler's
 * bench/scheduler_lateness.ts, as a subprocess), log listing and stats at 100,000 entries
 * (bench/logs_bench.ts), what stored triggers cost stats and the sweep (bench/stats_scale.ts),
 * and 100,000 stored triggers (bench/scale_bench.ts). All load is generated on 127.0.0.1,
 * bounded in count and time; the suite takes about ten minutes. The table is
 * bench/suite_table.ts.
 *
 *   deno task bench [--only micro,fire,create,scheduler,logs,scale] [--quick] [--render]
 */
import { parseArgs } from "node:util";
import { benchFire, loadavg1 } from "./fire_bench.ts";
import { benchCreate } from "./create_bench.ts";
import { benchScale } from "./scale_bench.ts";
import { type MicroRow, printSuite } from "./suite_table.ts";

const RESULTS = new URL("./results/", import.meta.url);
const BENCH = new URL("./", import.meta.url);
const ROOT = new URL("../", import.meta.url);

const { values } = parseArgs({
  args: Deno.args,
  options: {
    only: { type: "string", default: "micro,fire,create,scheduler,logs,scale" },
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

await step("micro", async () => {
  results.micro = await micro();
});

await step("fire", async () => {
  const fire = await benchFire({ seconds: quick ? 3 : 8, connections: 50, rounds: quick ? 1 : 3 });
  results.fire = fire;
  await Deno.writeTextFile(new URL("fire.json", RESULTS), JSON.stringify(fire, null, 2) + "\n");
});

await step("create", async () => {
  const create = await benchCreate({ count: quick ? 2_000 : 10_000, rounds: quick ? 1 : 3 });
  results.create = create;
  await Deno.writeTextFile(new URL("create.json", RESULTS), JSON.stringify(create, null, 2) + "\n");
});

await step("scheduler", async () => {
  if (!(await exists(new URL("scheduler_lateness.ts", BENCH)))) {
    throw new Error("bench/scheduler_lateness.ts is missing");
  }
  const args = ["--scenario", "timeout,enqueue,spread,burst", "--stored", quick ? "0" : "100000"];
  if (quick) args.push("--n", "500");
  if (!(await runScript("bench/scheduler_lateness.ts", args))) {
    throw new Error("bench/scheduler_lateness.ts failed");
  }
  results.scheduler = await readJson("scheduler.json");
});

await step("logs", async () => {
  if (!(await runScript("bench/logs_bench.ts", quick ? ["--entries", "5000"] : []))) {
    throw new Error("bench/logs_bench.ts failed");
  }
  results.logs = await readJson("logs.json");
  const triggers = quick ? ["--triggers", "5000"] : [];
  if (!(await runScript("bench/stats_scale.ts", triggers))) {
    throw new Error("bench/stats_scale.ts failed");
  }
  results.statsScale = await readJson("stats_scale.json");
});

await step("scale", async () => {
  const scale = await benchScale({
    sizes: quick ? [500, 2000] : [1000, 10_000, 100_000],
    steadySeconds: quick ? 3 : 6,
  });
  results.scale = scale;
  await Deno.writeTextFile(new URL("scale.json", RESULTS), JSON.stringify(scale, null, 2) + "\n");
});

if (!render) {
  results.loadavgAtEnd = await loadavg1();
  results.seconds = Math.round((performance.now() - started) / 1000);
  results.errors = errors;
  await Deno.writeTextFile(new URL("suite.json", RESULTS), JSON.stringify(results, null, 2) + "\n");
}
printSuite(results);
