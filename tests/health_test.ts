/**
 * `/healthz` tells whether KV takes writes. The failure is real: another process (this test,
 * through node:sqlite) holds an exclusive lock on the server's KV SQLite file, which is what
 * "file locked" is in production; every write of the server waits behind it while its reads
 * still work. Committing the lock's transaction releases it.
 */
import assert from "node:assert/strict";
import { DatabaseSync } from "node:sqlite";
import { WriteProbe } from "../db/health.ts";
import { startServer, waitFor } from "./helpers/server.ts";

Deno.test("/healthz is 503 with the reason while the KV file is write-locked, 200 after", async () => {
  const srv = await startServer();
  const lock = new DatabaseSync(srv.kvPath);
  try {
    const ok = await fetch(`${srv.url}/healthz`);
    assert.equal(ok.status, 200);
    const okBody = await ok.json();
    assert.equal(okBody.ok, true);
    assert.equal(okBody.reason, null);

    lock.exec("PRAGMA busy_timeout = 10000");
    lock.exec("BEGIN EXCLUSIVE");
    const down = await waitFor(
      async () => {
        const res = await fetch(`${srv.url}/healthz`);
        const body = await res.json();
        return res.status === 503 ? body : null;
      },
      20_000,
      "/healthz 503 while locked",
    );
    assert.equal(down.ok, false);
    assert.equal(down.kv.ok, false);
    assert.match(down.reason, /KV write/);
    assert.equal(down.kv.error, down.reason);

    lock.exec("COMMIT");
    const up = await waitFor(
      async () => {
        const res = await fetch(`${srv.url}/healthz`);
        const body = await res.json();
        return res.status === 200 ? body : null;
      },
      20_000,
      "/healthz 200 after release",
    );
    assert.equal(up.ok, true);
    assert.equal(up.reason, null);
  } finally {
    if (lock.isTransaction) lock.exec("ROLLBACK");
    lock.close();
    await srv.stop();
  }
});

Deno.test("WriteProbe shares one write among concurrent checks and reuses it for an interval", async () => {
  const kv = await Deno.openKv(":memory:");
  try {
    const probe = new WriteProbe(kv, { minIntervalMs: 60_000 });
    const results = await Promise.all([probe.check(), probe.check(), probe.check()]);
    assert.equal(results[0].ok, true);
    assert.ok(results.every((r) => r === results[0]), "one probe for concurrent checks");
    let writes = 0;
    for await (const _ of kv.list({ prefix: ["health"] })) writes++;
    assert.equal(writes, 1, "the probe really wrote its key");
    assert.equal(await probe.check(), results[0], "reused within the interval");
    kv.close();
    const fresh = new WriteProbe(kv, { minIntervalMs: 0 });
    const failed = await fresh.check();
    assert.equal(failed.ok, false);
    assert.match(failed.error!, /KV write failed/);
  } finally {
    try {
      kv.close();
    } catch { /* closed above */ }
  }
});
