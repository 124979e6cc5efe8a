/**
 * Log listing and stats with 100,000 entries (the suite's fallback while bench/logs_bench.ts
 * does not exist): entries are made through the fire endpoint, then `GET /api/logs` (first
 * page, following the cursor, one trigger's entries) and `GET /api/logs/stats` are timed from
 * a client, beside a raw `kv.list` of 50 entries on the same file in the same run.
 *
 *   deno run -A bench/scale_logs.ts [--entries 100000]
 */
import { parseArgs } from "node:util";
import { keys } from "../db/keys.ts";
import { spawnLoad } from "./load.ts";
import { startTock } from "./fire_servers.ts";
import { type Dist, dist } from "./scale_bench.ts";
import { printTable } from "./fire_bench.ts";

export interface LogsScaleResult {
  entries: number;
  fillPerSecond: number;
  listFirstPageMs: Dist;
  listCursorPageMs: Dist;
  listByTriggerMs: Dist;
  /** null when the server has no stats endpoint. */
  statsMs: Dist | null;
  baselineKvList50Ms: Dist;
}

async function timed(url: string): Promise<{ ms: number; status: number; body: unknown }> {
  const t0 = performance.now();
  const res = await fetch(url);
  const body = await res.json().catch(() => null);
  return { ms: performance.now() - t0, status: res.status, body };
}

export async function benchLogsScale(o: { entries?: number } = {}): Promise<LogsScaleResult> {
  const entries = o.entries ?? 100_000;
  const dir = await Deno.makeTempDir({ prefix: "tock-logs-bench-" });
  const kvPath = `${dir}/tock.kv`;
  const srv = await startTock(kvPath);
  try {
    const urls: string[] = [];
    for (let i = 0; i < 10; i++) {
      const res = await fetch(`${srv.url}/api/triggers`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ name: `logbench-${i}`, type: "api" }),
      });
      urls.push(`${srv.url}/api/triggers/${(await res.json()).id}/fire`);
    }
    const fill = await spawnLoad({
      urls,
      method: "POST",
      body: '{"n":{{n}}}',
      connections: 50,
      maxRequests: entries,
      durationMs: 300_000,
    });
    const first: number[] = [], cursor: number[] = [], byTrigger: number[] = [];
    const stats: number[] = [];
    let statsMissing = false;
    for (let i = 0; i < 20; i++) {
      first.push((await timed(`${srv.url}/api/logs?limit=50`)).ms);
      byTrigger.push((await timed(`${srv.url}/api/logs?trigger=logbench-3&limit=50`)).ms);
      const s = await timed(`${srv.url}/api/logs/stats`);
      if (s.status === 200) stats.push(s.ms);
      else statsMissing = true;
    }
    let next = ((await timed(`${srv.url}/api/logs?limit=50`)).body as { nextCursor: string })
      .nextCursor;
    for (let i = 0; i < 20 && next; i++) {
      const page = await timed(`${srv.url}/api/logs?limit=50&cursor=${next}`);
      cursor.push(page.ms);
      next = (page.body as { nextCursor: string }).nextCursor;
    }
    const kv = await Deno.openKv(kvPath);
    const raw: number[] = [];
    try {
      for (let i = 0; i < 20; i++) {
        const t0 = performance.now();
        const got = [];
        for await (
          const e of kv.list({ prefix: keys.logsPrefix() }, { reverse: true, limit: 50 })
        ) {
          got.push(e.value);
        }
        raw.push(performance.now() - t0);
      }
    } finally {
      kv.close();
    }
    return {
      entries: fill.ok,
      fillPerSecond: fill.rps,
      listFirstPageMs: dist(first),
      listCursorPageMs: dist(cursor),
      listByTriggerMs: dist(byTrigger),
      statsMs: statsMissing ? null : dist(stats),
      baselineKvList50Ms: dist(raw),
    };
  } finally {
    await srv.stop();
    await Deno.remove(dir, { recursive: true }).catch(() => {});
  }
}

if (import.meta.main) {
  const { values } = parseArgs({
    args: Deno.args,
    options: {
      entries: { type: "string", default: "100000" },
      out: { type: "string", default: "bench/results/logs_scale.json" },
    },
  });
  const r = await benchLogsScale({ entries: Number(values.entries) });
  const d = (x: Dist | null) => (x ? `${x.p50} / ${x.p99} / ${x.max}` : "n/a");
  printTable(["measure (p50 / p99 / max ms)", `${r.entries} entries`], [
    ["GET /api/logs?limit=50", d(r.listFirstPageMs)],
    ["  following the cursor", d(r.listCursorPageMs)],
    ["  ?trigger=<name>", d(r.listByTriggerMs)],
    ["GET /api/logs/stats", d(r.statsMs)],
    ["raw kv.list 50 (baseline)", d(r.baselineKvList50Ms)],
  ]);
  await Deno.mkdir("bench/results", { recursive: true });
  await Deno.writeTextFile(values.out!, JSON.stringify(r, null, 2) + "\n");
  console.log(`wrote ${values.out}`);
}
