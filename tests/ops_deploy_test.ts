/** What Deno Deploy asks of main.ts: top-level Deno.cron, no queues for correctness, its KV. */
import assert from "node:assert/strict";
import { createApp } from "../app.ts";
import { Scheduler } from "../scheduler/engine.ts";
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

function refuse(): never {
  throw new TypeError("KV Connect does not support queues");
}

/** An atomic operation whose `enqueue` throws; chained calls keep the proxy. */
function atomicWithoutQueues(op: Deno.AtomicOperation): Deno.AtomicOperation {
  const proxy: Deno.AtomicOperation = new Proxy(op, {
    get(target, prop) {
      if (prop === "enqueue") return refuse;
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

/** A KV handle like KV Connect's: every queue operation throws. */
function withoutQueues(kv: Deno.Kv): Deno.Kv {
  return new Proxy(kv, {
    get(target, prop) {
      if (prop === "enqueue" || prop === "listenQueue") return refuse;
      if (prop === "atomic") return () => atomicWithoutQueues(target.atomic());
      const v = Reflect.get(target, prop, target);
      return typeof v === "function" ? v.bind(target) : v;
    },
  });
}

Deno.test("scheduled firings happen on a KV without queues (KV Connect, Deploy)", async () => {
  await using t = await testApp();
  const kv = withoutQueues(t.kv);
  await assert.rejects(async () => await kv.enqueue("x"), /does not support queues/);
  const deps = { ...t.deps, kv };
  const app = createApp(deps);
  const scheduler = new Scheduler(deps);
  deps.scheduler = scheduler;
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
