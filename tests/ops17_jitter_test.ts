/**
 * Jitter (issue 17): deterministic offsets inside the bound, shown by preview and nextRunAt,
 * kept across a restart; log entries keep the nominal scheduledFor and add jitterMs.
 */
import assert from "node:assert/strict";
import { planClaim } from "../scheduler/claim.ts";
import { newTriggerRecord } from "../scheduler/definition.ts";
import { jitterOffsetMs } from "../scheduler/jitter.ts";
import type { LogEntry } from "../core/schemas.ts";
import { testApp, uniqueName } from "./helpers/app.ts";
import { api, startServer, waitFor } from "./helpers/server.ts";

const T0 = Date.parse("2026-01-01T00:00:00.000Z");
const iso = (ms: number) => new Date(ms).toISOString();

Deno.test("jitterOffsetMs() is deterministic, inside [0, jitter) and below the interval", () => {
  const wide = { everySeconds: 60, startAt: iso(T0), jitterSeconds: 30 };
  const seen = new Set<number>();
  for (let k = 0; k < 500; k++) {
    const t = T0 + k * 60_000;
    const o = jitterOffsetMs("01JTESTTRIGGER0000000000AA", wide, t);
    assert.equal(o, jitterOffsetMs("01JTESTTRIGGER0000000000AA", wide, t));
    assert.ok(o >= 0 && o < 30_000, String(o));
    seen.add(Math.floor(o / 3000));
  }
  assert.equal(seen.size, 10, "offsets spread over the window");
  // A jitter wider than the interval is bounded by the gap: occurrences keep their order.
  const narrow = { everySeconds: 2, startAt: iso(T0), jitterSeconds: 60 };
  for (let k = 0; k < 200; k++) {
    assert.ok(jitterOffsetMs("01JTESTTRIGGER0000000000AB", narrow, T0 + 2000 * k) < 2000);
  }
  assert.equal(jitterOffsetMs("x", { everySeconds: 2, startAt: iso(T0) }, T0), 0);
});

Deno.test("planClaim() fires the nominal occurrence at its jittered instant", () => {
  const schedule = { everySeconds: 60, startAt: iso(T0), jitterSeconds: 30 };
  const rec = newTriggerRecord(
    {
      name: "j",
      type: "scheduled",
      schedule,
      payload: null,
      payloadSchema: null,
      webhook: null,
      misfire: "fire_once",
    },
    T0 - 1,
    { id: "01JTESTTRIGGER0000000000AC" },
  );
  const o0 = jitterOffsetMs(rec.id, schedule, T0);
  assert.equal(rec.nextOccurrenceAt, iso(T0));
  assert.equal(rec.nextRunAt, iso(T0 + o0));
  const plan = planClaim(rec, T0 + o0, T0 + o0 + 7, 1000);
  assert.equal(plan.log?.scheduledFor, iso(T0));
  assert.equal(plan.log?.jitterMs, o0);
  assert.equal(plan.log?.lateMs, 7);
  assert.equal(plan.log?.catchUp, false);
  const o1 = jitterOffsetMs(rec.id, schedule, T0 + 60_000);
  assert.equal(plan.next.nextOccurrenceAt, iso(T0 + 60_000));
  assert.equal(plan.next.nextRunAt, iso(T0 + 60_000 + o1));
});

Deno.test("jitterSeconds is 0-3600 on recurring schedules only", async () => {
  await using t = await testApp();
  for (
    const schedule of [
      { everySeconds: 60, jitterSeconds: 3601 },
      { cron: "* * * * *", jitterSeconds: -1 },
      { at: iso(Date.now() + 60_000), jitterSeconds: 5 },
    ]
  ) {
    const res = await t.call("POST", "/api/triggers", { name: uniqueName(), schedule });
    assert.equal(res.status, 400, JSON.stringify(res.body));
  }
  const ok = await t.call("POST", "/api/triggers", {
    name: uniqueName(),
    schedule: { cron: "* * * * *", jitterSeconds: 3600 },
  });
  assert.equal(ok.status, 201);
  assert.equal(ok.body.schedule.jitterSeconds, 3600);
});

Deno.test("jittered firings match the preview, across a restart", async () => {
  let srv = await startServer();
  const kvPath = srv.kvPath;
  const port = srv.port;
  try {
    const created = await api(srv, "POST", "/api/triggers", {
      name: uniqueName("jit"),
      schedule: { everySeconds: 1, jitterSeconds: 1 },
    });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    const id = created.body.id;
    const preview: string[] = (await api(srv, "GET", `/api/triggers/${id}/preview?count=12`))
      .body.occurrences;
    assert.equal(preview[0], created.body.nextRunAt);
    // Jittered instants are not on the whole-second grid the nominal ones are.
    const anchor = Date.parse(created.body.schedule.startAt);
    const offsets = preview.map((p, k) => Date.parse(p) - (anchor + 1000 * k));
    for (const o of offsets) assert.ok(o >= 0 && o < 1000, String(o));
    assert.ok(new Set(offsets).size > 1, "the offsets vary");

    const firings = async () =>
      ((await api(srv, "GET", `/api/logs?trigger=${id}&outcome=ok&limit=100`)).body
        .items as LogEntry[]).reverse();
    await waitFor(async () => (await firings()).length >= 3, 15_000, "three firings");
    await srv.stop();
    srv = await startServer({ kvPath, port });
    // The restarted server previews what is left of the same series.
    const after: string[] = (await api(srv, "GET", `/api/triggers/${id}/preview?count=3`)).body
      .occurrences;
    const idx = preview.indexOf(after[0]);
    assert.ok(idx > 0, `${after[0]} in ${preview}`);
    assert.deepEqual(after, preview.slice(idx, idx + 3));
    const enough = await waitFor(
      async () => {
        const f = await firings();
        return f.some((l) => Date.parse(l.scheduledFor!) >= anchor + 1000 * (idx + 2)) ? f : null;
      },
      15_000,
      "firings after the restart",
    );
    for (const l of enough) {
      const k = (Date.parse(l.scheduledFor!) - anchor) / 1000;
      assert.ok(Number.isInteger(k), "scheduledFor is the nominal occurrence");
      if (k >= preview.length) continue;
      assert.equal(iso(Date.parse(l.scheduledFor!) + l.jitterMs!), preview[k], `occurrence ${k}`);
      assert.ok(Date.parse(l.firedAt) >= Date.parse(preview[k]) || l.catchUp);
    }
  } finally {
    await srv.stop();
  }
});
