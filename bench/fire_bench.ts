/**
 * On-demand firing throughput: `POST /api/triggers/:id/fire` (and `/trigger_api`) on a real
 * Tock process, beside baselines measured in the same run, each server in its own process and
 * the load generator (bench/load.ts) in another:
 *
 * - raw `Deno.serve` and Hono hello-worlds: what HTTP alone costs on this machine
 * - raw `Deno.serve` + one `kv.atomic()` per request with a firing's writes: no group commit
 * - the same writes through the GroupCommitter, without Hono or Tock
 *
 * After Tock's runs the KV file is opened and every stored entry of the trigger is counted
 * against the 2xx answers (and their distinct ids): nothing lost, nothing duplicated.
 *
 *   deno run -A bench/fire_bench.ts [--seconds 8] [--connections 50] [--rounds 1]
 */
import { parseArgs } from "node:util";
import { keys } from "../db/keys.ts";
import { spawnLoad } from "./load.ts";
import { type BaselineMode, type Running, startBaseline, startTock } from "./fire_servers.ts";
import { processCpuMs } from "./fire_profile.ts";
import type { KvCeiling } from "./fire_kv_ceiling.ts";
import {
  FIRE_HEADER,
  type FireBenchResult,
  fireRows,
  type FireTarget,
  printTable,
} from "./fire_table.ts";

export type { FireBenchResult, FireTarget };

const BODY = '{"n":{{n}}}';

export async function loadavg1(): Promise<number> {
  return Number((await Deno.readTextFile("/proc/loadavg")).split(" ")[0]);
}

async function countPrefix(kv: Deno.Kv, prefix: Deno.KvKey): Promise<number> {
  let n = 0;
  for await (const _ of kv.list({ prefix }, { batchSize: 1000 })) n++;
  return n;
}

/** Load after a 1 s warm-up; the server's CPU is divided over every request it answered. */
async function drive(
  srv: Running,
  urls: string[],
  o: { seconds: number; connections: number },
  ids = false,
  client: "fetch" | "tcp" = "fetch",
) {
  const cpu0 = await processCpuMs(srv.pid);
  const load = await spawnLoad({
    urls,
    method: "POST",
    body: BODY,
    connections: o.connections,
    durationMs: o.seconds * 1000,
    warmupMs: 1000,
    collectIds: ids,
    client,
  });
  const cpu = (await processCpuMs(srv.pid)) - cpu0;
  return {
    load,
    serverCpuUs: Math.round((cpu * 1000) / (load.requests + load.warmupOk)),
    loadgenCpuUs: Math.round((load.cpuMs * 1000) / load.requests),
  };
}

async function measureBaseline(
  mode: BaselineMode,
  what: string,
  dir: string,
  o: { seconds: number; connections: number },
  client: "fetch" | "tcp" = "fetch",
): Promise<FireTarget> {
  const srv = await startBaseline(mode, `${dir}/${mode}-${crypto.randomUUID()}.kv`);
  try {
    const d = await drive(srv, [`${srv.url}/fire`], o, false, client);
    const name = client === "tcp" ? `${mode}-tcp` : mode;
    return { name, what, ...d, loadavg: await loadavg1() };
  } finally {
    await srv.stop();
  }
}

async function createApiTrigger(srv: Running, name: string): Promise<{ id: string }> {
  const res = await fetch(`${srv.url}/api/triggers`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ name, type: "api" }),
  });
  if (res.status !== 201) throw new Error(`create failed: ${res.status} ${await res.text()}`);
  return await res.json();
}

/** Tock's two firing endpoints, then the stored entries counted against the answers. */
async function measureTock(
  dir: string,
  o: { seconds: number; connections: number },
): Promise<FireTarget[]> {
  const kvPath = `${dir}/tock-${crypto.randomUUID()}.kv`;
  const srv = await startTock(kvPath);
  const out: FireTarget[] = [];
  let rest: { id: string }, legacy: { id: string }, tcp: { id: string };
  try {
    rest = await createApiTrigger(srv, "bench-rest");
    legacy = await createApiTrigger(srv, "bench-legacy");
    tcp = await createApiTrigger(srv, "bench-tcp");
    const restRun = await drive(srv, [`${srv.url}/api/triggers/${rest.id}/fire`], o, true);
    out.push({
      name: "tock",
      what: "Tock POST /api/triggers/:id/fire",
      ...restRun,
      loadavg: await loadavg1(),
    });
    const legacyRun = await drive(srv, [`${srv.url}/trigger_api?trigger_name=bench-legacy`], o);
    out.push({
      name: "tock-legacy",
      what: "Tock POST /trigger_api",
      ...legacyRun,
      loadavg: await loadavg1(),
    });
    const tcpRun = await drive(srv, [`${srv.url}/api/triggers/${tcp.id}/fire`], o, true, "tcp");
    out.push({
      name: "tock-tcp",
      what: "Tock POST /api/triggers/:id/fire, raw-TCP client",
      ...tcpRun,
      loadavg: await loadavg1(),
    });
    // Every 2xx must have its entry: counted through the API (paging GET /api/logs), then
    // cross-checked against the index in the KV file once the server has stopped.
    for (const [t, trig] of [[out[0], rest], [out[1], legacy], [out[2], tcp]] as const) {
      const answered = t.load.warmupOk + t.load.ok;
      t.stored = await countViaApi(srv.url, trig.id);
      t.lost = Math.max(0, answered - t.stored);
      t.duplicated = Math.max(0, t.stored - answered) +
        (t.load.distinctIds !== undefined ? t.load.ok - t.load.distinctIds : 0);
    }
  } finally {
    await srv.stop();
  }
  const kv = await Deno.openKv(kvPath);
  try {
    for (const [t, trig] of [[out[0], rest], [out[1], legacy], [out[2], tcp]] as const) {
      const inKv = await countPrefix(kv, keys.logsByTriggerPrefix(trig.id));
      if (inKv !== t.stored) console.warn(`${t.name}: ${inKv} in KV, ${t.stored} listed`);
    }
  } finally {
    kv.close();
  }
  return out;
}

/** Entries of trigger `id`, counted by paging `GET /api/logs?trigger=id`. */
async function countViaApi(url: string, id: string): Promise<number> {
  let n = 0;
  let cursor: string | null = null;
  do {
    const res = await fetch(
      `${url}/api/logs?trigger=${id}&limit=500${cursor ? `&cursor=${cursor}` : ""}`,
    );
    if (res.status !== 200) throw new Error(`GET /api/logs: ${res.status} ${await res.text()}`);
    const page: { items: unknown[]; nextCursor: string | null } = await res.json();
    n += page.items.length;
    cursor = page.nextCursor;
  } while (cursor);
  return n;
}

/** bench/fire_kv_ceiling.ts in its own process. */
async function ceilingOnce(): Promise<KvCeiling> {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", new URL("./fire_kv_ceiling.ts", import.meta.url).pathname],
    stdout: "piped",
    stderr: "inherit",
  }).output();
  return JSON.parse(new TextDecoder().decode(out.stdout));
}

/**
 * Runs every target `rounds` times (interleaved); each target's row is its median round, with
 * every round's throughput kept for the range.
 */
export async function benchFire(
  o: { seconds?: number; connections?: number; rounds?: number } = {},
): Promise<FireBenchResult> {
  const opts = { seconds: o.seconds ?? 8, connections: o.connections ?? 50 };
  const rounds = o.rounds ?? 1;
  const dir = await Deno.makeTempDir({ prefix: "tock-fire-bench-" });
  const all = new Map<string, FireTarget[]>();
  let kvCeiling: KvCeiling | null = null;
  const keep = (t: FireTarget) => all.set(t.name, [...(all.get(t.name) ?? []), t]);
  try {
    for (let r = 0; r < rounds; r++) {
      keep(await measureBaseline("hello", "raw Deno.serve hello-world", dir, opts));
      keep(await measureBaseline("hono", "Hono hello-world", dir, opts));
      keep(
        await measureBaseline("kv-single", "Deno.serve + 1 kv.atomic per request", dir, opts),
      );
      keep(await measureBaseline("kv-group", "Deno.serve + GroupCommitter", dir, opts));
      for (const t of await measureTock(dir, opts)) keep(t);
      keep(
        await measureBaseline(
          "hello",
          "raw Deno.serve hello-world, raw-TCP client",
          dir,
          opts,
          "tcp",
        ),
      );
      keep(
        await measureBaseline(
          "kv-group",
          "Deno.serve + GroupCommitter, raw-TCP client",
          dir,
          opts,
          "tcp",
        ),
      );
      const ceiling = await ceilingOnce();
      if (!kvCeiling || ceiling.grouped.perSecond > kvCeiling.grouped.perSecond) {
        kvCeiling = ceiling;
      }
    }
  } finally {
    await Deno.remove(dir, { recursive: true }).catch(() => {});
  }
  const targets = [...all.values()].map((runs) => {
    const byRps = [...runs].sort((a, b) => a.load.rps - b.load.rps);
    const row = { ...byRps[(byRps.length - 1) >> 1] };
    row.rpsRounds = runs.map((t) => t.load.rps);
    if (row.lost !== undefined) {
      // Tock's rows report the worst loss and duplication of any round.
      row.lost = Math.max(...runs.map((t) => t.lost ?? 0));
      row.duplicated = Math.max(...runs.map((t) => t.duplicated ?? 0));
    }
    return row;
  });
  return { ...opts, rounds, targets, kvCeiling };
}

if (import.meta.main) {
  const { values } = parseArgs({
    args: Deno.args,
    options: {
      seconds: { type: "string", default: "8" },
      connections: { type: "string", default: "50" },
      rounds: { type: "string", default: "1" },
      out: { type: "string", default: "bench/results/fire.json" },
    },
  });
  const result = await benchFire({
    seconds: Number(values.seconds),
    connections: Number(values.connections),
    rounds: Number(values.rounds),
  });
  printTable(FIRE_HEADER, fireRows(result));
  const k = result.kvCeiling;
  if (k) {
    console.log(
      `KV alone, ${k.writers} writers in one process: ${k.single.perSecond}/s with one commit ` +
        `each, ${k.grouped.perSecond}/s group-committed (${k.grouped.avgBatch} per commit, ` +
        `${k.grouped.msPerCommit} ms per commit)`,
    );
  }
  await Deno.mkdir("bench/results", { recursive: true });
  await Deno.writeTextFile(values.out!, JSON.stringify(result, null, 2) + "\n");
  console.log(`wrote ${values.out}`);
}
