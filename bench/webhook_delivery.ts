/**
 * Webhook deliveries per second to local receivers at 100 concurrent firings.
 *
 *   deno run -A bench/webhook_delivery.ts [--firings 1000] [--concurrency 100]
 *
 * Starts the real server (main.ts) as a subprocess on a fresh KV file; receivers run in this
 * process. Three runs, each `--firings` firings sent `--concurrency` at a time:
 *   baseline   api trigger without webhook: firings/s (202 answers), no delivery
 *   one host   webhook to one receiver: at most 4 in flight per destination (the limiter)
 *   four hosts webhooks to four receivers (one trigger each): 16 in flight
 *   by name    one receiver as `localhost`: each new connection resolves the name and checks
 *              the answers (webhook/pinned_request.ts), where an address URL resolves nothing
 * A delivery run ends when every firing reached its receiver and every log entry left
 * `pending` (the outcome is written back). Prints one JSON object.
 */
import { parseArgs } from "node:util";
import { startServer, waitFor } from "../tests/helpers/server.ts";

const { values } = parseArgs({
  args: Deno.args,
  options: { firings: { type: "string" }, concurrency: { type: "string" } },
});
const FIRINGS = Number(values.firings ?? 1000);
const CONCURRENCY = Number(values.concurrency ?? 100);

function receiver(host = "127.0.0.1") {
  const seen = new Set<string>();
  let hits = 0;
  const server = Deno.serve({ port: 0, hostname: "127.0.0.1", onListen() {} }, async (req) => {
    await req.arrayBuffer();
    hits++;
    seen.add(req.headers.get("tock-log-id") ?? "");
    return new Response(null, { status: 204 });
  });
  return {
    url: `http://${host}:${server.addr.port}/hook`,
    seen,
    hits: () => hits,
    close: () => server.shutdown(),
  };
}

const server = await startServer();
const base = server.url;

async function call(method: string, path: string, body?: unknown) {
  const res = await fetch(base + path, {
    method,
    headers: { "content-type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const json = await res.json();
  if (res.status >= 300) {
    throw new Error(`${method} ${path}: ${res.status} ${JSON.stringify(json)}`);
  }
  return json;
}

async function trigger(webhookUrl: string | null): Promise<string> {
  const t = await call("POST", "/api/triggers", {
    name: "bench-" + crypto.randomUUID().slice(0, 8),
    type: "api",
    webhook: webhookUrl ? { url: webhookUrl, timeoutMs: 10_000 } : null,
  });
  return t.id;
}

/** Fires `FIRINGS` times over `ids` (round robin), CONCURRENCY at a time; returns log ids. */
async function fireAll(ids: string[]): Promise<string[]> {
  const logIds: string[] = [];
  let next = 0;
  const worker = async () => {
    while (next < FIRINGS) {
      const n = next++;
      const log = await call("POST", `/api/triggers/${ids[n % ids.length]}/fire`, { n });
      logIds.push(log.id);
    }
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, worker));
  return logIds;
}

async function pendingCount(ids: string[]): Promise<number> {
  let n = 0;
  for (const id of ids) {
    const page = await call("GET", `/api/logs?trigger=${id}&outcome=pending&limit=500`);
    n += page.items.length;
  }
  return n;
}

async function deliveryRun(hosts: number, host?: string) {
  const rxs = Array.from({ length: hosts }, () => receiver(host));
  const ids = await Promise.all(rxs.map((r) => trigger(r.url)));
  const t0 = performance.now();
  const logIds = await fireAll(ids);
  const firedMs = performance.now() - t0;
  await waitFor(
    () => rxs.reduce((n, r) => n + r.seen.size, 0) >= logIds.length,
    300_000,
    "every delivery",
  );
  const deliveredMs = performance.now() - t0;
  await waitFor(async () => (await pendingCount(ids)) === 0, 300_000, "every outcome");
  const settledMs = performance.now() - t0;
  const hits = rxs.reduce((n, r) => n + r.hits(), 0);
  await Promise.all(rxs.map((r) => r.close()));
  return {
    hosts,
    firings: logIds.length,
    requestsReceived: hits,
    firingsPerSec: Math.round(logIds.length / (firedMs / 1000)),
    deliveriesPerSec: Math.round(logIds.length / (deliveredMs / 1000)),
    settledPerSec: Math.round(logIds.length / (settledMs / 1000)),
    deliveredMs: Math.round(deliveredMs),
    settledMs: Math.round(settledMs),
  };
}

try {
  const plain = await trigger(null);
  // Warm-up: JIT, connections, KV file.
  await fireAll([plain]);
  const t0 = performance.now();
  await fireAll([plain]);
  const baselineMs = performance.now() - t0;
  const oneHost = await deliveryRun(1);
  const fourHosts = await deliveryRun(4);
  const byName = await deliveryRun(1, "localhost");
  console.log(JSON.stringify(
    {
      firings: FIRINGS,
      concurrency: CONCURRENCY,
      baseline: { firingsPerSec: Math.round(FIRINGS / (baselineMs / 1000)) },
      oneHost,
      fourHosts,
      byName,
    },
    null,
    2,
  ));
} finally {
  await server.stop();
}
