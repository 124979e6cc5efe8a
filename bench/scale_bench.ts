/**
 * Tock with many stored triggers: the store grows to 1,000, 10,000 and 100,000 triggers
 * (mixed schedules, all created through `POST /api/triggers`, most due far in the future), and
 * at each size it measures
 *
 * - start-up: spawn to listening and `/healthz` answering 200, beside an empty store and a raw
 *   `Deno.serve` hello-world started the same way
 * - steady firing: 200 triggers with `everySeconds: 1` fire for a few seconds; lateness from
 *   their log entries, duplicates, and the server's CPU time per firing (it must not grow with
 *   the number of stored triggers)
 * - listing: `GET /api/triggers?limit=50`, and following the cursor page after page
 * - resident memory of the server process
 *
 *   deno run -A bench/scale_bench.ts [--sizes 1000,10000,100000] [--steady 6]
 */
import { parseArgs } from "node:util";
import type { StoredLog } from "../core/schemas.ts";
import { keys } from "../db/keys.ts";
import { spawnLoad } from "./load.ts";
import { rssMb, type Running, startBaseline, startTock } from "./fire_servers.ts";
import { processCpuMs } from "./fire_profile.ts";
import { loadavg1 } from "./fire_bench.ts";
import { printTable } from "./fire_table.ts";

export interface Dist {
  n: number;
  p50: number;
  p99: number;
  max: number;
}

export interface ScaleStep {
  triggers: number;
  /** Creating this step's new triggers through the API. */
  create: { count: number; perSecond: number; p50: number; p99: number; failed: number };
  startupMs: number;
  rssMbIdle: number;
  rssMbAfterFiring: number;
  steady: {
    triggers: number;
    seconds: number;
    firings: number;
    duplicates: number;
    catchUps: number;
    lateMs: Dist;
    serverCpuUsPerFiring: number;
  };
  listFirstPageMs: Dist;
  listCursorPageMs: Dist;
  /** `?status=completed` when none is: the filter reads every record (a full scan). */
  listRareFilterMs: number;
  loadavg: number;
}

export interface ScaleResult {
  baselines: {
    helloStartupMs: number;
    helloRssMb: number;
    emptyStartupMs: number;
    emptyRssMb: number;
  };
  steps: ScaleStep[];
}

/** Far-future schedules of several forms, so the store looks like a real one. */
function createBodies(prefix: string): string[] {
  const n = `"name":"${prefix}-{{n}}"`;
  return [
    `{${n},"schedule":{"cron":"0 3 1 1 *","timezone":"Europe/Berlin"}}`,
    `{${n},"schedule":{"everySeconds":604800},"payload":{"kind":"weekly","n":{{n}}}}`,
    `{${n},"schedule":{"at":"2027-06-01T00:00:00Z"}}`,
    `{${n},"schedule":{"delaySeconds":2592000}}`,
    `{${n},"type":"api","payload":{"n":{{n}}}}`,
    `{${n},"schedule":{"cron":"30 */6 15 * *","timezone":"America/New_York"}}`,
    `{${n},"schedule":{"everySeconds":60},"status":"paused"}`,
  ];
}

export function dist(xs: number[]): Dist {
  const s = [...xs].sort((a, b) => a - b);
  const q = (p: number) => (s.length ? s[Math.min(s.length - 1, Math.floor(p * s.length))] : NaN);
  const r = (v: number) => Math.round(v * 100) / 100;
  return { n: s.length, p50: r(q(0.5)), p99: r(q(0.99)), max: r(s[s.length - 1] ?? NaN) };
}

async function timedGet(url: string): Promise<{ ms: number; body: { nextCursor: string | null } }> {
  const t0 = performance.now();
  const res = await fetch(url);
  const body = await res.json();
  const ms = performance.now() - t0;
  if (res.status !== 200) throw new Error(`GET ${url}: ${res.status} ${JSON.stringify(body)}`);
  return { ms, body };
}

async function listing(srv: Running): Promise<{ first: Dist; cursor: Dist }> {
  const first: number[] = [];
  for (let i = 0; i < 10; i++) first.push((await timedGet(`${srv.url}/api/triggers?limit=50`)).ms);
  const cursor: number[] = [];
  let next = (await timedGet(`${srv.url}/api/triggers?limit=50`)).body.nextCursor;
  for (let i = 0; i < 20 && next; i++) {
    const page = await timedGet(`${srv.url}/api/triggers?limit=50&cursor=${next}`);
    cursor.push(page.ms);
    next = page.body.nextCursor;
  }
  return { first: dist(first), cursor: dist(cursor) };
}

export async function benchScale(
  o: { sizes?: number[]; steadySeconds?: number; connections?: number } = {},
): Promise<ScaleResult> {
  const sizes = o.sizes ?? [1000, 10_000, 100_000];
  const steadySeconds = o.steadySeconds ?? 6;
  const connections = o.connections ?? 50;
  const dir = await Deno.makeTempDir({ prefix: "tock-scale-bench-" });
  const kvPath = `${dir}/tock.kv`;
  try {
    const hello = await startBaseline("hello");
    const helloRss = await rssMb(hello.pid);
    await hello.stop();
    let srv = await startTock(kvPath);
    const baselines = {
      helloStartupMs: hello.readyMs,
      helloRssMb: helloRss,
      emptyStartupMs: srv.readyMs,
      emptyRssMb: await rssMb(srv.pid),
    };
    const steps: ScaleStep[] = [];
    let stored = 0;
    for (const [phase, size] of sizes.entries()) {
      const count = size - stored;
      const made = await spawnLoad({
        urls: [`${srv.url}/api/triggers`],
        method: "POST",
        bodies: createBodies(`s${phase}`),
        connections,
        maxRequests: count,
        durationMs: 600_000,
      });
      stored += made.ok;

      // Start-up with this many triggers.
      await srv.stop();
      srv = await startTock(kvPath);
      const rssIdle = await rssMb(srv.pid);

      // Steady firing of a fixed set of 200 due-soon triggers.
      const due = 200;
      const dueMade = await spawnLoad({
        urls: [`${srv.url}/api/triggers`],
        method: "POST",
        body: `{"name":"due${phase}-{{n}}","schedule":{"everySeconds":1},"payload":{"n":{{n}}}}`,
        connections: 20,
        maxRequests: due,
        durationMs: 60_000,
      });
      if (dueMade.ok !== due) throw new Error(`due triggers: ${JSON.stringify(dueMade)}`);
      const cpu0 = await processCpuMs(srv.pid);
      const t0 = performance.now();
      await new Promise((r) => setTimeout(r, steadySeconds * 1000));
      const cpuMs = (await processCpuMs(srv.pid)) - cpu0;
      const wallMs = performance.now() - t0;
      await spawnLoad({
        urls: [`${srv.url}/remove_trigger`],
        method: "POST",
        body: `{"trigger_name":"due${phase}-{{n}}"}`,
        connections: 20,
        maxRequests: due,
        durationMs: 60_000,
      });
      const rssFiring = await rssMb(srv.pid);
      const { first, cursor } = await listing(srv);
      const rare = (await timedGet(`${srv.url}/api/triggers?limit=50&status=completed`)).ms;

      // Read this phase's firings (the server keeps running; KV allows readers beside it).
      const kv = await Deno.openKv(kvPath);
      const logs: StoredLog[] = [];
      try {
        for await (const e of kv.list<StoredLog>({ prefix: keys.logsPrefix() })) {
          if (e.value.triggerName.startsWith(`due${phase}-`)) logs.push(e.value);
        }
      } finally {
        kv.close();
      }
      const seen = new Set<string>();
      let duplicates = 0;
      for (const l of logs) {
        const k = `${l.triggerId}@${l.scheduledFor}`;
        if (seen.has(k)) duplicates++;
        seen.add(k);
      }
      // CPU per firing over the steady window (firings in it: about due per second).
      const inWindow = Math.max(1, Math.round((due * wallMs) / 1000));
      steps.push({
        triggers: size,
        create: {
          count: made.requests,
          perSecond: made.rps,
          p50: made.latencyMs.p50,
          p99: made.latencyMs.p99,
          failed: made.requests - made.ok,
        },
        startupMs: srv.readyMs,
        rssMbIdle: rssIdle,
        rssMbAfterFiring: rssFiring,
        steady: {
          triggers: due,
          seconds: steadySeconds,
          firings: logs.length,
          duplicates,
          catchUps: logs.filter((l) => l.catchUp).length,
          lateMs: dist(logs.map((l) => l.lateMs ?? NaN)),
          serverCpuUsPerFiring: Math.round((cpuMs * 1000) / inWindow),
        },
        listFirstPageMs: first,
        listCursorPageMs: cursor,
        listRareFilterMs: Math.round(rare),
        loadavg: await loadavg1(),
      });
      console.error(`scale: ${size} triggers done`);
    }
    await srv.stop();
    return { baselines, steps };
  } finally {
    await Deno.remove(dir, { recursive: true }).catch(() => {});
  }
}

export function scaleRows(r: ScaleResult): string[][] {
  const rows: string[][] = [[
    "empty store / hello",
    "-",
    `${r.baselines.emptyStartupMs} / ${r.baselines.helloStartupMs}`,
    "-",
    "-",
    "-",
    "-",
    `${r.baselines.emptyRssMb} / ${r.baselines.helloRssMb}`,
  ]];
  for (const s of r.steps) {
    rows.push([
      `${s.triggers}`,
      `${s.create.perSecond}/s`,
      `${s.startupMs}`,
      `${s.steady.lateMs.p50} / ${s.steady.lateMs.p99} / ${s.steady.lateMs.max} (${s.steady.firings}, dup ${s.steady.duplicates})`,
      `${s.steady.serverCpuUsPerFiring}`,
      `${s.listFirstPageMs.p50} / ${s.listCursorPageMs.p50} / ${
        Math.max(s.listFirstPageMs.max, s.listCursorPageMs.max)
      }`,
      `${s.listRareFilterMs}`,
      `${s.rssMbIdle} / ${s.rssMbAfterFiring}`,
    ]);
  }
  return rows;
}

export const SCALE_HEADER = [
  "stored triggers",
  "create rate",
  "start-up ms",
  "lateness p50/p99/max ms (firings)",
  "CPU us/firing",
  "list p50 first/cursor, max ms",
  "?status=completed ms",
  "RSS MB idle/firing",
];

if (import.meta.main) {
  const { values } = parseArgs({
    args: Deno.args,
    options: {
      sizes: { type: "string", default: "1000,10000,100000" },
      steady: { type: "string", default: "6" },
      out: { type: "string", default: "bench/results/scale.json" },
    },
  });
  const result = await benchScale({
    sizes: values.sizes!.split(",").map(Number),
    steadySeconds: Number(values.steady),
  });
  printTable(SCALE_HEADER, scaleRows(result));
  await Deno.mkdir("bench/results", { recursive: true });
  await Deno.writeTextFile(values.out!, JSON.stringify(result, null, 2) + "\n");
  console.log(`wrote ${values.out}`);
}
