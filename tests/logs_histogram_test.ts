/**
 * `GET /api/logs/histogram` agrees with the log listing: 3,000 firings over several minutes
 * (a manual clock), some deliveries settled to ok or failed afterwards, compared bucket by
 * bucket and outcome by outcome with `GET /api/logs?since=&until=`.
 */
import assert from "node:assert/strict";
import { ManualClock } from "../core/clock.ts";
import { leaseDelivery, readPendingDelivery, recordDelivery } from "../db/deliveries.ts";
import { getTrigger } from "../services/triggers.ts";
import { fireNow } from "../services/firings.ts";
import { sweepLogs } from "../services/housekeeping.ts";
import { type TestApp, testApp } from "./helpers/app.ts";

const T0 = Date.parse("2030-03-01T10:00:17.000Z");
const MIN = 60_000;

/** Entries of the listing in [since, until), per outcome, paging through every page. */
async function listed(t: TestApp, since: number, until: number, trigger?: string) {
  const counts = { count: 0, ok: 0, pending: 0, failed: 0 } as Record<string, number>;
  let cursor: string | null = null;
  do {
    const q = new URLSearchParams({
      since: new Date(since).toISOString(),
      until: new Date(until).toISOString(),
      limit: "500",
    });
    if (trigger) q.set("trigger", trigger);
    if (cursor) q.set("cursor", cursor);
    const res = await t.call("GET", `/api/logs?${q}`);
    assert.equal(res.status, 200);
    for (const e of res.body.items) {
      counts.count++;
      counts[e.outcome]++;
    }
    cursor = res.body.nextCursor;
  } while (cursor);
  return counts;
}

Deno.test("the histogram counts exactly what the log lists, per bucket and outcome", async () => {
  const clock = new ManualClock(T0);
  await using t = await testApp({ clock });
  const plain = await t.call("POST", "/api/triggers", { name: "plain" });
  const hooked = await t.call("POST", "/api/triggers", {
    name: "hooked",
    webhook: { url: "http://127.0.0.1:9/never" },
  });
  const recs = [await getTrigger(t.deps, plain.body.id), await getTrigger(t.deps, hooked.body.id)];
  // 3,000 firings over ~7 minutes, 20 at each instant, alternating the two triggers.
  const fired: string[] = [];
  for (let i = 0; i < 3000; i += 20) {
    clock.set(T0 + i * 140);
    const logs = await Promise.all(
      Array.from({ length: 20 }, (_, j) => fireNow(t.deps, recs[(i + j) % 2])),
    );
    fired.push(...logs.filter((l) => l.outcome === "pending").map((l) => l.id));
  }
  // Settle some deliveries: pending -> ok, pending -> failed, in their own commits later.
  clock.set(T0 + 8 * MIN);
  for (const [k, logId] of fired.slice(0, 300).entries()) {
    const pending = await readPendingDelivery(t.kv, logId);
    const leased = await leaseDelivery(t.deps, pending!, clock.now() + 30_000);
    const outcome = k % 3 === 0 ? "failed" : "ok";
    const delivery = {
      status: outcome === "ok" ? 200 : 500,
      attempts: 1,
      durationMs: 3,
      error: null,
    };
    await recordDelivery(t.deps, leased!, {
      delivery,
      retry: false,
      delayMs: 0,
      outcome,
      queues: false,
    });
  }

  const since = T0 - 2 * MIN;
  const until = T0 + 9 * MIN;
  for (const [bucket, size] of [["1m", MIN], ["5m", 5 * MIN]] as const) {
    const q = `bucket=${bucket}&since=${new Date(since).toISOString()}&until=${
      new Date(until).toISOString()
    }`;
    const res = await t.call("GET", `/api/logs/histogram?${q}`);
    assert.equal(res.status, 200, JSON.stringify(res.body));
    assert.equal(res.body.bucket, bucket);
    const first = Math.floor(since / size) * size;
    assert.equal(Date.parse(res.body.buckets[0].start), first, "aligned, oldest first");
    assert.equal(res.body.buckets.length, Math.ceil((until - first) / size), "empty buckets too");
    let total = 0;
    for (const b of res.body.buckets) {
      const start = Date.parse(b.start);
      const want = await listed(t, start, start + size);
      assert.deepEqual(
        { count: b.count, ok: b.ok, pending: b.pending, failed: b.failed },
        want,
        `${bucket} bucket ${b.start}`,
      );
      total += b.count;
    }
    assert.equal(total, 3000);
  }
  // One trigger's histogram, by name, against its own listing.
  const one = await t.call(
    "GET",
    `/api/logs/histogram?bucket=1m&trigger=hooked&since=${new Date(since).toISOString()}&until=${
      new Date(until).toISOString()
    }`,
  );
  assert.equal(one.status, 200);
  let sum = 0;
  for (const b of one.body.buckets) {
    const start = Date.parse(b.start);
    const want = await listed(t, start, start + MIN, "hooked");
    assert.deepEqual({ count: b.count, ok: b.ok, pending: b.pending, failed: b.failed }, want);
    sum += b.count;
  }
  assert.equal(sum, 1500);
  assert.ok(one.body.buckets.some((b: { ok: number }) => b.ok > 0), "settled deliveries moved");
  // Defaults: the last 24 h in 1 h buckets.
  const def = await t.call("GET", "/api/logs/histogram");
  assert.equal(def.body.bucket, "1h");
  assert.equal(def.body.buckets.reduce((n: number, b: { count: number }) => n + b.count, 0), 3000);

  // Past retention the sweep deletes the entries and their minute counters with them.
  const cfg = t.deps.config;
  clock.set(T0 + cfg.activeRetentionMs + cfg.archiveRetentionMs + 10 * MIN);
  const swept = await sweepLogs(t.deps, clock.now());
  assert.equal(swept.deleted, 3000);
  const gone = await t.call(
    "GET",
    `/api/logs/histogram?bucket=5m&since=${new Date(since).toISOString()}&until=${
      new Date(until).toISOString()
    }`,
  );
  assert.equal(gone.body.buckets.reduce((n: number, b: { count: number }) => n + b.count, 0), 0);
});

Deno.test("histogram windows are checked: too many buckets, an empty window, bad values", async () => {
  await using t = await testApp();
  const at = (ms: number) => new Date(ms).toISOString();
  const now = Date.now();
  for (
    const [q, path] of [
      [`bucket=1m&since=${at(now - 48 * 3600_000)}`, "bucket"],
      [`since=${at(now)}&until=${at(now - 1000)}`, "since"],
      ["bucket=2m", "bucket"],
      ["since=yesterday", "since"],
    ]
  ) {
    const res = await t.call("GET", `/api/logs/histogram?${q}`);
    assert.equal(res.status, 400, q);
    assert.equal(res.body.errors[0].path, path, q);
  }
  const ok = await t.call("GET", `/api/logs/histogram?bucket=1h&since=${at(now - 48 * 3600_000)}`);
  assert.equal(ok.status, 200);
  assert.equal(ok.body.buckets.length, 49, "48 h at 1 h, widened to whole hours");
});
