/**
 * What running Tock costs: resident memory and CPU of the real server (`main.ts`, the flags of
 * `deno task start`) sampled from /proc/<pid>/status (VmRSS) and /proc/<pid>/stat (utime +
 * stime), in four phases, after a baseline of a bare `Deno.serve` hello-world:
 *
 *   idle         no triggers at all
 *   5/day        five daily cron triggers stored (what "a few firings a day" looks like between
 *                firings: the scheduler polls its due index every second)
 *   100/s        100 triggers firing every second, spread over the second (a sustained 100/s)
 *   after        the same server once those triggers are paused again (memory given back?)
 *
 * Linux only (/proc). Usage:
 *   deno run -A bench/cost.ts [--seconds 60] [--busy-seconds 600] [--rate 100]
 *     [--log-format json] [--out bench/results/cost.json]
 */
import { parseArgs } from "node:util";
import { spawnUntil } from "./fire_servers.ts";

const { values } = parseArgs({
  options: {
    seconds: { type: "string", default: "60" },
    "log-format": { type: "string", default: "json" },
    out: { type: "string", default: "bench/results/cost.json" },
    rate: { type: "string", default: "100" },
    /** Length of the busy phase (default: --seconds); longer shows whether memory levels off. */
    "busy-seconds": { type: "string" },
  },
});
const PHASE_S = Number(values.seconds);
const RATE = Number(values.rate);
const BUSY_S = Number(values["busy-seconds"] ?? values.seconds);
const ROOT = new URL("../", import.meta.url);
// The pretty line, or the JSON one (`--log-format json`).
const LISTENING = /listening on (http:\/\/[^\s]+)|"msg":"listening","url":"(http:[^"]+)"/i;

const CLK_TCK = await (async () => {
  try {
    const out = await new Deno.Command("getconf", { args: ["CLK_TCK"], stdout: "piped" }).output();
    return Number(new TextDecoder().decode(out.stdout).trim()) || 100;
  } catch {
    return 100;
  }
})();

interface Sample {
  t: number;
  rssKb: number;
  ticks: number;
}

async function sample(pid: number): Promise<Sample> {
  const status = await Deno.readTextFile(`/proc/${pid}/status`);
  const rssKb = Number(/^VmRSS:\s+(\d+) kB/m.exec(status)?.[1] ?? NaN);
  const stat = await Deno.readTextFile(`/proc/${pid}/stat`);
  // Fields after the parenthesised command name; utime and stime are fields 14 and 15.
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  const ticks = Number(fields[11]) + Number(fields[12]);
  return { t: performance.now(), rssKb, ticks };
}

interface PhaseResult {
  phase: string;
  seconds: number;
  cpuPercent: number;
  cpuSecondsPerDay: number;
  rssMiBMean: number;
  rssMiBMax: number;
  rssMiBEnd: number;
  /** RSS at the end of each minute of the phase: shows whether memory levels off. */
  rssMiBByMinute: number[];
  extra?: Record<string, unknown>;
}

async function measure(
  phase: string,
  pid: number,
  seconds: number,
  extra?: () => Promise<Record<string, unknown>>,
): Promise<PhaseResult> {
  const first = await sample(pid);
  const samples: Sample[] = [first];
  const end = first.t + seconds * 1000;
  while (performance.now() < end) {
    await new Promise((r) => setTimeout(r, 1000));
    samples.push(await sample(pid));
  }
  const last = samples.at(-1)!;
  const wall = (last.t - first.t) / 1000;
  const cpu = (last.ticks - first.ticks) / CLK_TCK;
  const rss = samples.map((s) => s.rssKb / 1024);
  const r: PhaseResult = {
    phase,
    seconds: Math.round(wall),
    cpuPercent: round((cpu / wall) * 100, 2),
    cpuSecondsPerDay: Math.round((cpu / wall) * 86400),
    rssMiBMean: round(rss.reduce((a, b) => a + b, 0) / rss.length, 1),
    rssMiBMax: round(Math.max(...rss), 1),
    rssMiBEnd: round(rss.at(-1)!, 1),
    rssMiBByMinute: samples.filter((_, k) => k > 0 && k % 60 === 0)
      .map((s) => round(s.rssKb / 1024, 1)),
  };
  if (extra) r.extra = await extra();
  console.error(`${phase}: ${JSON.stringify(r)}`);
  return r;
}

function round(n: number, digits: number): number {
  return Math.round(n * 10 ** digits) / 10 ** digits;
}

async function kvBytes(path: string): Promise<number> {
  let total = 0;
  for (const suffix of ["", "-wal", "-shm"]) {
    try {
      total += (await Deno.stat(path + suffix)).size;
    } catch { /* absent */ }
  }
  return total;
}

/** One scrape of /metrics; `get(name, labels)` sums the samples of `name` whose labels match. */
async function scrape(url: string): Promise<(name: string, labels?: string) => number> {
  const text = await (await fetch(`${url}/metrics`)).text();
  return (name, labels = "") => {
    let sum = 0;
    for (const line of text.split("\n")) {
      const m = new RegExp(`^${name}(\\{[^}]*\\})? (\\S+)$`).exec(line);
      if (m && (m[1] ?? "").includes(labels)) sum += Number(m[2]);
    }
    return sum;
  };
}

async function post(url: string, path: string, body: unknown): Promise<Record<string, unknown>> {
  const res = await fetch(`${url}${path}`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(body),
  });
  if (!res.ok) throw new Error(`${path}: ${res.status} ${await res.text()}`);
  return await res.json();
}

const results: PhaseResult[] = [];

// Baseline: the Deno runtime itself serving HTTP, nothing else.
{
  const bare = await spawnUntil([
    "eval",
    "Deno.serve({ port: 0, onListen: ({ port }) => console.log(`listening on http://127.0.0.1:${port}`) }, () => new Response('ok'))",
  ], LISTENING);
  await new Promise((r) => setTimeout(r, 2000));
  results.push(await measure("baseline: bare Deno.serve", bare.pid, Math.min(PHASE_S, 20)));
  await bare.stop();
}

const dir = await Deno.makeTempDir({ prefix: "tock-cost-" });
const kvPath = `${dir}/tock.kv`;
const tock = await spawnUntil([
  "run",
  "--allow-net",
  "--allow-read",
  "--allow-write",
  "--allow-env",
  "main.ts",
  "serve",
  "--port",
  "0",
  "--kv",
  kvPath,
  "--log-format",
  values["log-format"]!,
], LISTENING);
const { proc, url } = tock;
try {
  await new Promise((r) => setTimeout(r, 3000));
  results.push(await measure("idle: no triggers", proc.pid, PHASE_S));

  const hours = [3, 8, 12, 17, 22];
  for (const h of hours) {
    await post(url, "/api/triggers", {
      name: `daily-${h}`,
      schedule: { cron: `0 ${h} * * *`, timezone: "UTC" },
    });
  }
  results.push(await measure("5 firings a day: 5 daily cron triggers", proc.pid, PHASE_S));

  // RATE triggers every second, their first runs spread over one second.
  const base = Date.now() + 3000;
  const ids: string[] = [];
  for (let i = 0; i < RATE; i++) {
    const t = await post(url, "/api/triggers", {
      name: `every-${i}`,
      schedule: {
        everySeconds: 1,
        startAt: new Date(base + Math.floor((i * 1000) / RATE)).toISOString(),
      },
      payload: { i, note: "a small payload of a few dozen bytes" },
    });
    ids.push(t.id as string);
  }
  await new Promise((r) => setTimeout(r, Math.max(0, base - Date.now()) + 2000));
  const before = await scrape(url);
  const firedBefore = before("tock_firings_total", 'source="schedule"');
  const bytesBefore = await kvBytes(kvPath);
  const t0 = performance.now();
  const busy = await measure(`${RATE} firings a second`, proc.pid, BUSY_S, async () => {
    const wall = (performance.now() - t0) / 1000;
    const m = await scrape(url);
    const heapMiB = round(m("tock_heap_used_bytes") / 2 ** 20, 1);
    const fired = m("tock_firings_total", 'source="schedule"') - firedBefore;
    const grown = (await kvBytes(kvPath)) - bytesBefore;
    // Lateness of the firings in this phase only: the difference of two scrapes.
    const delta = (name: string, labels = "") => m(name, labels) - before(name, labels);
    const lateCount = delta("tock_firing_lateness_seconds_count");
    const late10 = delta("tock_firing_lateness_seconds_bucket", 'le="0.01"');
    const late100 = delta("tock_firing_lateness_seconds_bucket", 'le="0.1"');
    return {
      firingsPerSecond: round(fired / wall, 1),
      heapMiBAtEnd: heapMiB,
      kvMiBAtEnd: round((await kvBytes(kvPath)) / 2 ** 20, 1),
      kvBytesPerFiring: Math.round(grown / Math.max(1, fired)),
      lateWithin10msPercent: round((late10 / lateCount) * 100, 2),
      lateWithin100msPercent: round((late100 / lateCount) * 100, 2),
      catchUps: delta("tock_catch_up_firings_total"),
    };
  });
  results.push(busy);

  for (const id of ids) {
    // A trigger firing every second changes under the pause: retry the conflict.
    for (let attempt = 1;; attempt++) {
      try {
        await post(url, `/api/triggers/${id}/pause`, {});
        break;
      } catch (err) {
        if (attempt >= 20 || !/: 409 /.test(String(err))) throw err;
        await new Promise((r) => setTimeout(r, 50));
      }
    }
  }
  await new Promise((r) => setTimeout(r, 2000));
  results.push(await measure("after: those triggers paused", proc.pid, Math.min(PHASE_S, 30)));
} finally {
  await tock.stop();
  await Deno.remove(dir, { recursive: true });
}

const report = {
  date: new Date().toISOString(),
  deno: Deno.version.deno,
  cpus: navigator.hardwareConcurrency,
  clkTck: CLK_TCK,
  logFormat: values["log-format"],
  results,
};
await Deno.mkdir(new URL("bench/results/", ROOT), { recursive: true });
await Deno.writeTextFile(new URL(values.out!, ROOT), JSON.stringify(report, null, 2) + "\n");

console.log("| phase | CPU % of one core | CPU s/day | RSS MiB mean | RSS MiB max |");
console.log("|---|---:|---:|---:|---:|");
for (const r of results) {
  console.log(
    `| ${r.phase} | ${r.cpuPercent} | ${r.cpuSecondsPerDay} | ${r.rssMiBMean} | ${r.rssMiBMax} |`,
  );
}
const busyExtra = results.find((r) => r.extra)?.extra;
if (busyExtra) console.log(`\n${RATE}/s details: ${JSON.stringify(busyExtra)}`);
