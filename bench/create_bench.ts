/**
 * Trigger creation through `POST /api/triggers` with 50 concurrent clients (api triggers with
 * unique names, as the scale benchmark's bodies without their schedules): creates per second
 * and latency, and how many failed.
 *
 *   deno run -A bench/create_bench.ts [--count 10000] [--connections 50]
 */
import { parseArgs } from "node:util";
import { startTock } from "./fire_servers.ts";
import { spawnLoad } from "./load.ts";

export interface CreateResult {
  count: number;
  perSecond: number;
  p50: number;
  p99: number;
  failed: number;
}

export async function benchCreate(
  o: { count?: number; connections?: number } = {},
): Promise<CreateResult> {
  const count = o.count ?? 10_000;
  const dir = await Deno.makeTempDir({ prefix: "tock-create-bench-" });
  const srv = await startTock(`${dir}/tock.kv`);
  try {
    // Warm-up: compile the create path before measuring.
    await spawnLoad({
      urls: [`${srv.url}/api/triggers`],
      method: "POST",
      body: '{"name":"warm-{{n}}","type":"api","tags":["bench"]}',
      connections: o.connections ?? 50,
      maxRequests: 1000,
      durationMs: 60_000,
    });
    const r = await spawnLoad({
      urls: [`${srv.url}/api/triggers`],
      method: "POST",
      body: '{"name":"c-{{n}}","type":"api","tags":["bench"],"payload":{"n":{{n}}}}',
      connections: o.connections ?? 50,
      maxRequests: count,
      durationMs: 600_000,
    });
    return {
      count: r.ok,
      perSecond: r.rps,
      p50: r.latencyMs.p50,
      p99: r.latencyMs.p99,
      failed: r.requests - r.ok,
    };
  } finally {
    await srv.stop();
    await Deno.remove(dir, { recursive: true }).catch(() => {});
  }
}

if (import.meta.main) {
  const { values } = parseArgs({
    args: Deno.args,
    options: { count: { type: "string", default: "10000" }, connections: { type: "string" } },
  });
  const r = await benchCreate({
    count: Number(values.count),
    connections: values.connections ? Number(values.connections) : undefined,
  });
  console.log(JSON.stringify(r));
}
