/**
 * The 10,000-at-one-instant burst in process, for profiling the claim path (`--cpu-prof`):
 * records written straight into a temp KV file, one Scheduler, the time until every occurrence
 * is committed, and where the claim commits spent it.
 *
 *   deno run -A bench/burst_profile.ts --n 10000 [--concurrency 2] [--profile]
 *
 * `--profile` samples the JavaScript thread through the V8 inspector over the burst and prints
 * the functions with the most self and inclusive time.
 */
import { parseArgs } from "node:util";
import { Session } from "node:inspector/promises";
import { inclusiveTimes, selfTimes } from "./fire_profile.ts";
import { claimFloor } from "./claim_floor.ts";
import { record } from "./stored_records.ts";
import { insertTriggersBatch } from "../db/triggers.ts";
import { parseConfig } from "../core/config.ts";
import { systemClock } from "../core/clock.ts";
import { createDeps } from "../db/deps.ts";
import { keys } from "../db/keys.ts";
import { Scheduler } from "../scheduler/engine.ts";

const { values: opt } = parseArgs({
  options: {
    n: { type: "string", default: "10000" },
    concurrency: { type: "string" },
    profile: { type: "boolean", default: false },
  },
});
const n = Number(opt.n);
const path = (await Deno.makeTempDir({ prefix: "tock-burst-" })) + "/tock.kv";
const kv = await Deno.openKv(path);
const deps = createDeps(kv, parseConfig(["--kv", path], {}), { clock: systemClock });
const now = Date.now();
const t0 = now + 8_000;
const recs = Array.from(
  { length: n },
  (_, i) => record(`burst-${i}`, { at: new Date(t0).toISOString() }, now),
);
await insertTriggersBatch(kv, recs);
// Every commit from here on is timed: how many, their sizes, and how long each waited on KV.
const commits: { start: number; ms: number; muts: number }[] = [];
const proto = Object.getPrototypeOf(kv.atomic());
const origCommit = proto.commit;
const origMutate = proto.mutate;
proto.commit = async function (this: Deno.AtomicOperation) {
  const start = performance.now();
  const res = await origCommit.call(this);
  // deno-lint-ignore no-explicit-any
  commits.push({ start, ms: performance.now() - start, muts: (this as any)[MUTS] ?? 0 });
  return res;
};
const MUTS = Symbol("mutations");
for (const m of ["set", "delete", "sum", "max", "min", "check"]) {
  const orig = proto[m];
  proto[m] = function (this: Record<symbol, number>, ...args: unknown[]) {
    this[MUTS] = (this[MUTS] ?? 0) + 1;
    return orig.apply(this, args);
  };
}
void origMutate;
const sched = new Scheduler(deps, {
  ...(opt.concurrency ? { concurrency: Number(opt.concurrency) } : {}),
});
let fired = 0;
let lastAt = 0;
const done = Promise.withResolvers<void>();
deps.bus.subscribe((logs) => {
  fired += logs.length;
  lastAt = Date.now();
  if (fired >= n) done.resolve();
});
/** CPU time (ms) per thread of this process, by thread name: where the burst's work runs. */
function threadCpu(): Map<string, number> {
  const out = new Map<string, number>();
  for (const t of Deno.readDirSync("/proc/self/task")) {
    try {
      const stat = Deno.readTextFileSync(`/proc/self/task/${t.name}/stat`);
      const name = stat.slice(stat.indexOf("(") + 1, stat.lastIndexOf(")"));
      const f = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      const ms = (Number(f[11]) + Number(f[12])) * 10; // utime + stime, in 10 ms ticks
      out.set(`${name}#${t.name}`, ms);
    } catch { /* the thread ended */ }
  }
  return out;
}
await sched.start();
let cpuBefore = new Map<string, number>();
const inspector = opt.profile ? new Session() : null;
if (inspector) {
  inspector.connect();
  await inspector.post("Profiler.enable");
  await inspector.post("Profiler.setSamplingInterval", { interval: 100 });
}
setTimeout(() => {
  cpuBefore = threadCpu();
  void inspector?.post("Profiler.start");
}, t0 - Date.now() - 5);
await done.promise;
if (inspector) {
  // V8's Profile type leaves samples optional; a stopped profile always carries them.
  const profile = (await inspector.post("Profiler.stop")).profile as Parameters<
    typeof selfTimes
  >[0];
  const top = (rows: [string, number][]) =>
    rows.slice(0, 30).map(([k, ms]) => `  ${ms.toFixed(1).padStart(7)} ms  ${k}`).join("\n");
  console.log(`JS thread, self time (top 30):\n${top(selfTimes(profile))}`);
  console.log(`JS thread, inclusive time (top 30):\n${top(inclusiveTimes(profile))}`);
  inspector.disconnect();
}
const cpuAfter = threadCpu();
const cpu = [...cpuAfter].map(([k, v]) => [k, v - (cpuBefore.get(k) ?? 0)] as const)
  .filter(([, v]) => v > 0).sort((a, b) => b[1] - a[1]);
console.log(`CPU per thread during the burst (ms): ${cpu.map(([k, v]) => `${k} ${v}`).join(", ")}`);
const firedAt = (await Array.fromAsync(kv.list<{ firedAt: string }>({ prefix: keys.logsPrefix() })))
  .map((e) => Date.parse(e.value.firedAt));
console.log(
  `${n} due at one instant: all committed +${lastAt - t0} ms, last firedAt +${
    Math.max(...firedAt) - t0
  } ms, load ${Deno.loadavg()[0]}`,
);
const burst = commits.filter((c) => c.start >= t0 - performance.timeOrigin - 50);
const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0);
const lat = burst.map((c) => c.ms).sort((a, b) => a - b);
console.log(
  `commits in the burst: ${burst.length}, writes each: mean ${
    (sum(burst.map((c) => c.muts)) / burst.length).toFixed(0)
  }, commit latency p50 ${lat[lat.length >> 1]?.toFixed(1)} max ${lat.at(-1)?.toFixed(1)} ms, ` +
    `sum ${sum(lat).toFixed(0)} ms`,
);
await sched.stop();
kv.close();
const floor = await claimFloor(n, opt.concurrency ? Number(opt.concurrency) : undefined);
console.log(`the same claims' commits, KV alone (bench/claim_floor.ts): ${floor.ms} ms`);
