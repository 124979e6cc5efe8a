/** What Deno Deploy asks of main.ts: top-level Deno.cron, no queues for correctness, its KV. */
import assert from "node:assert/strict";
import { createApp } from "../http/app.ts";
import { kvHasQueues } from "../db/queues.ts";
import { createDeps } from "../db/deps.ts";
import { Scheduler } from "../scheduler/engine.ts";
import { WebhookOutbox } from "../webhook/outbox.ts";
import { testApp, uniqueName } from "./helpers/app.ts";
import { startServer, waitFor } from "./helpers/server.ts";

const ROOT = new URL("../", import.meta.url);

Deno.test("main.ts registers Deno.cron at module top level, before Deno.serve", async () => {
  const src = await Deno.readTextFile(new URL("main.ts", ROOT));
  const lines = src.split("\n");
  const cron = lines.findIndex((l) => /\bDeno\.cron\(/.test(l));
  const serve = lines.findIndex((l) => /\bDeno\.serve\(/.test(l));
  assert.ok(cron >= 0, "no Deno.cron in main.ts");
  assert.ok(serve > cron, "Deno.cron must come before Deno.serve");
  // Top level: not indented, so not inside a function or a block.
  assert.match(lines[cron], /^Deno\.cron\(/);
  // Registered whatever happens next: no early return or await between it and the module start
  // that could leave it unregistered except the CLI branch, which never serves.
  const before = lines.slice(0, cron).join("\n");
  assert.doesNotMatch(before, /Deno\.serve\(/);
});

/** Queue calls made on a KV handle from `withoutQueues`; each also throws, as on Deploy. */
interface QueueCalls {
  calls: string[];
}

/** An atomic operation whose `enqueue` throws; chained calls keep the proxy. */
function atomicWithoutQueues(op: Deno.AtomicOperation, seen: QueueCalls): Deno.AtomicOperation {
  const proxy: Deno.AtomicOperation = new Proxy(op, {
    get(target, prop) {
      if (prop === "enqueue") return refuse(seen, "atomic().enqueue");
      const v = Reflect.get(target, prop, target);
      if (typeof v !== "function") return v;
      return (...args: unknown[]) => {
        const r = v.apply(target, args);
        return r === target ? proxy : r;
      };
    },
  });
  return proxy;
}

function refuse(seen: QueueCalls, what: string) {
  return (): never => {
    seen.calls.push(what);
    throw new TypeError("KV Connect does not support queues");
  };
}

/** A KV handle like KV Connect's or Deploy's: every queue operation throws (and is noted). */
function withoutQueues(kv: Deno.Kv): { kv: Deno.Kv; seen: QueueCalls } {
  const seen: QueueCalls = { calls: [] };
  const proxy = new Proxy(kv, {
    get(target, prop) {
      if (prop === "enqueue" || prop === "listenQueue") return refuse(seen, String(prop));
      if (prop === "atomic") return () => atomicWithoutQueues(target.atomic(), seen);
      const v = Reflect.get(target, prop, target);
      return typeof v === "function" ? v.bind(target) : v;
    },
  });
  return { kv: proxy, seen };
}

Deno.test("scheduled firings happen on a KV without queues (KV Connect, Deploy)", async () => {
  await using t = await testApp();
  const { kv } = withoutQueues(t.kv);
  await assert.rejects(async () => await kv.enqueue("x"), /does not support queues/);
  const deps = createDeps(kv, t.deps.config);
  const app = createApp(deps);
  const scheduler = new Scheduler(deps);
  await scheduler.start();
  try {
    const name = uniqueName("noqueue");
    const res = await app.request("/api/triggers", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ name, schedule: { delaySeconds: 0.3 } }),
    });
    assert.equal(res.status, 201);
    const log = await waitFor(
      async () => {
        const page = await (await app.request(`/api/logs?trigger=${name}`)).json();
        return page.items[0];
      },
      15_000,
      "the firing",
    );
    assert.equal(log.source, "schedule");
    assert.equal(log.catchUp, false);
  } finally {
    await scheduler.stop();
  }
});

Deno.test("on Deno Deploy no queue is used: firings and a webhook retry work on a KV without queues", async () => {
  const deploy = { DENO_DEPLOYMENT_ID: "test-deployment" };
  // The default KV (a file, or the platform's KV) would have queues anywhere but on Deploy.
  assert.equal(kvHasQueues("./data/tock.kv", {}), true);
  assert.equal(kvHasQueues("./data/tock.kv", deploy), false);
  assert.equal(kvHasQueues("https://api.deno.com/databases/x/connect", {}), false);

  let hits = 0;
  const receiver = Deno.serve({ port: 0, hostname: "127.0.0.1", onListen() {} }, async (req) => {
    await req.body?.cancel();
    return new Response(null, { status: ++hits === 1 ? 503 : 200 });
  });
  await using t = await testApp();
  const { kv, seen } = withoutQueues(t.kv);
  const deps = createDeps(kv, t.deps.config);
  const app = createApp(deps);
  const scheduler = new Scheduler(deps);
  const outbox = new WebhookOutbox(deps, { env: deploy, pollMs: 100 });
  assert.equal(outbox.usesQueues, false);
  await scheduler.start();
  await outbox.start();
  const call = async (method: string, path: string, body?: unknown) => {
    const res = await app.request(path, {
      method,
      headers: { "content-type": "application/json" },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    return { status: res.status, body: await res.json() };
  };
  try {
    const url = `http://127.0.0.1:${receiver.addr.port}/hook`;
    const name = uniqueName("deploy");
    const created = await call("POST", "/api/triggers", {
      name,
      schedule: { delaySeconds: 0.3 },
      webhook: { url, retries: 2, backoffMs: 10 },
    });
    assert.equal(created.status, 201);
    const log = await waitFor(
      async () => {
        const page = (await call("GET", `/api/logs?trigger=${name}`)).body;
        return page.items[0]?.outcome === "ok" ? page.items[0] : null;
      },
      15_000,
      "the scheduled firing's webhook to succeed on its retry",
    );
    assert.equal(log.source, "schedule");
    assert.equal(log.delivery.attempts, 2);
    assert.equal(log.delivery.status, 200);
    assert.equal(hits, 2);
    assert.deepEqual(seen.calls, []);
  } finally {
    await outbox.stop();
    await scheduler.stop();
    await receiver.shutdown();
  }
});

Deno.test("on Deno Deploy Tock opens the platform's KV instead of a file and warns when open", async () => {
  const dir = await Deno.makeTempDir({ prefix: "tock-deploy-" });
  const server = await startServer({
    kvPath: `${dir}/never/tock.kv`,
    env: { DENO_DEPLOYMENT_ID: "test-deployment" },
  });
  try {
    const res = await fetch(`${server.url}/healthz`);
    assert.equal(res.status, 200);
    assert.equal((await res.json()).kv.ok, true);
    // The --kv file path was not used: its folder was never created.
    await assert.rejects(Deno.stat(`${dir}/never`), Deno.errors.NotFound);
    await waitFor(
      () => /WARNING: listening on Deno Deploy without an API key/.test(server.output()),
      15_000,
      "the Deploy warning",
    );
  } finally {
    await server.stop();
    await Deno.remove(dir, { recursive: true });
  }
});
