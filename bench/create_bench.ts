/**
 * Trigger creation through `POST /api/triggers` with 50 concurrent clients (api triggers with
 * unique names, as the scale benchmark's bodies without their schedules): creates per second,
 * latency and failures, beside two baselines measured in the same run, rounds interleaved:
 *
 * - create-group: raw `Deno.serve` + the same record, indexes, name check and change-feed entry
 *   written by Tock's own `insertTrigger` through the GroupCommitter (no Hono, zod or services)
 * - create-single: the same with one `kv.atomic()` per create
 *
 * Every server runs in its own process on a fresh KV file, the load generator in another.
 *
 *   deno run -A bench/create_bench.ts [--count 10000] [--connections 50] [--rounds 3]
 *     [--client fetch|tcp]
 */
import { parseArgs } from "node:util";
import { type Running, startBaseline, startTock } from "./fire_servers.ts";
import { type LoadOptions, spawnLoad } from "./load.ts";
import { processCpuMs } from "./fire_profile.ts";

export interface CreateRow {
  name: string;
  /** The median round's figures. */
  count: number;
  perSecond: number;
  p50: number;
  p99: number;
  failed: number;
  /** CPU of every server thread per measured create, in us. */
  serverCpuUs: number;
  /** Creates per second of every round. */
  rounds: number[];
}

export interface CreateResult {
  rows: CreateRow[];
  /** Tock's creates per second over the group-commit baseline's, median round against median. */
  ofPrototype: number;
}

const TARGETS: { name: string; start: (kv: string) => Promise<Running> }[] = [
  { name: "Tock POST /api/triggers", start: (kv) => startTock(kv) },
  {
    name: "Deno.serve + insertTrigger, group commit",
    start: (kv) => startBaseline("create-group", kv),
  },
  {
    name: "Deno.serve + insertTrigger, one commit each",
    start: (kv) => startBaseline("create-single", kv),
  },
];

async function once(
  start: (kv: string) => Promise<Running>,
  o: { count: number; connections: number; client: LoadOptions["client"] },
) {
  const dir = await Deno.makeTempDir({ prefix: "tock-create-bench-" });
  const srv = await start(`${dir}/tock.kv`);
  // The baselines answer on any path; Tock's create is POST /api/triggers.
  const url = `${srv.url}/api/triggers`;
  try {
    const load = (body: string, maxRequests: number) =>
      spawnLoad({
        urls: [url],
        method: "POST",
        body,
        headers: { "content-type": "application/json" },
        connections: o.connections,
        maxRequests,
        durationMs: 600_000,
        client: o.client,
      });
    // Warm-up: compile the create path before measuring.
    await load('{"name":"warm-{{n}}","type":"api","tags":["bench"]}', 1000);
    const cpu0 = await processCpuMs(srv.pid);
    const r = await load(
      '{"name":"c-{{n}}","type":"api","tags":["bench"],"payload":{"n":{{n}}}}',
      o.count,
    );
    return { ...r, cpuUs: ((await processCpuMs(srv.pid)) - cpu0) * 1000 / Math.max(1, r.requests) };
  } finally {
    await srv.stop();
    await Deno.remove(dir, { recursive: true }).catch(() => {});
  }
}

export async function benchCreate(
  o: { count?: number; connections?: number; rounds?: number; client?: "fetch" | "tcp" } = {},
): Promise<CreateResult> {
  const opts = { count: o.count ?? 10_000, connections: o.connections ?? 50, client: o.client };
  const runs = TARGETS.map(() => [] as Awaited<ReturnType<typeof once>>[]);
  for (let r = 0; r < (o.rounds ?? 3); r++) {
    for (const [i, t] of TARGETS.entries()) runs[i].push(await once(t.start, opts));
  }
  const rows = TARGETS.map((t, i): CreateRow => {
    const sorted = [...runs[i]].sort((a, b) => a.rps - b.rps);
    const med = sorted[sorted.length >> 1];
    return {
      name: t.name,
      count: med.ok,
      perSecond: Math.round(med.rps),
      p50: med.latencyMs.p50,
      p99: med.latencyMs.p99,
      failed: med.requests - med.ok,
      serverCpuUs: Math.round(med.cpuUs),
      rounds: runs[i].map((x) => Math.round(x.rps)),
    };
  });
  return { rows, ofPrototype: rows[0].perSecond / rows[1].perSecond };
}

if (import.meta.main) {
  const { values } = parseArgs({
    args: Deno.args,
    options: {
      count: { type: "string", default: "10000" },
      connections: { type: "string", default: "50" },
      rounds: { type: "string", default: "3" },
      client: { type: "string", default: "fetch" },
    },
  });
  const r = await benchCreate({
    count: Number(values.count),
    connections: Number(values.connections),
    rounds: Number(values.rounds),
    client: values.client === "tcp" ? "tcp" : "fetch",
  });
  for (const row of r.rows) {
    console.log(
      `${row.name.padEnd(46)} ${String(row.perSecond).padStart(6)}/s  p50 ${row.p50} ms  ` +
        `p99 ${row.p99} ms  server CPU ${row.serverCpuUs} us  failed ${row.failed}  rounds ${
          row.rounds.join(" / ")
        }`,
    );
  }
  console.log(`Tock: ${Math.round(r.ofPrototype * 100)}% of the group-commit baseline`);
}
