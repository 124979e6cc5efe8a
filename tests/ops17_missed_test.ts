/**
 * Missed-run history (issue 17): occurrences not fired leave one `missed` record per trigger
 * and outage, counted without walking them (everySeconds) or with a cap (cron), with why.
 */
import assert from "node:assert/strict";
import { planClaim } from "../scheduler/claim.ts";
import { newTriggerRecord } from "../scheduler/definition.ts";
import { MISSED_COUNT_CAP } from "../scheduler/next_occurrence.ts";
import { resumedRecord } from "../scheduler/pause.ts";
import type { Schedule } from "../core/schedule_schemas.ts";
import type { StoredLog, TriggerRecord } from "../core/schemas.ts";
import { keys } from "../db/keys.ts";
import { startServer, waitFor } from "./helpers/server.ts";

const T0 = Date.parse("2026-01-01T00:00:00.000Z");
const iso = (ms: number) => new Date(ms).toISOString();

function record(schedule: Schedule, misfire: "skip" | "fire_once"): TriggerRecord {
  return newTriggerRecord({
    name: "m",
    type: "scheduled",
    schedule,
    payload: null,
    payloadSchema: null,
    webhook: null,
    misfire,
  }, T0 - 1);
}

Deno.test("planClaim() counts a week of per-second occurrences arithmetically", () => {
  const week = 7 * 86400_000;
  const skip = record({ everySeconds: 1, startAt: iso(T0) }, "skip");
  const plan = planClaim(skip, T0, T0 + week, 1000, { startedAtMs: T0 + week - 10 });
  assert.equal(plan.log, null);
  assert.equal(plan.missed?.outcome, "missed");
  assert.equal(plan.missed?.reason, "downtime");
  assert.deepEqual(plan.missed?.missed, {
    count: 604_801,
    first: iso(T0),
    last: iso(T0 + week),
  });
  assert.equal(plan.next.nextRunAt, iso(T0 + week + 1000));

  // fire_once fires the most recent one; the record holds the others it coalesced.
  const once = record({ everySeconds: 1, startAt: iso(T0) }, "fire_once");
  const p2 = planClaim(once, T0, T0 + week + 500, 1000, { startedAtMs: T0 + week });
  assert.equal(p2.log?.scheduledFor, iso(T0 + week));
  assert.equal(p2.log?.catchUp, true);
  assert.deepEqual(p2.missed?.missed, {
    count: 604_800,
    first: iso(T0),
    last: iso(T0 + week - 1000),
  });
  assert.ok(p2.missed!.id < p2.log!.id, "the record sorts before the catch-up");

  // One late occurrence coalesces nothing: no record.
  const p3 = planClaim(once, T0, T0 + 900, 500, { startedAtMs: T0 - 1 });
  assert.equal(p3.log?.catchUp, true);
  assert.equal(p3.missed, null);
  // Missed while running (no restart since): misfire.
  const p4 = planClaim(skip, T0, T0 + 5500, 1000, { startedAtMs: T0 - 1 });
  assert.equal(p4.missed?.reason, "misfire");
  assert.equal(p4.missed?.missed?.count, 6);
});

Deno.test("planClaim() caps a cron count and marks it", () => {
  const rec = record({ cron: "* * * * * *", timezone: "UTC", startAt: iso(T0) }, "skip");
  const plan = planClaim(rec, T0, T0 + 2 * 86400_000, 1000);
  assert.equal(plan.missed?.missed?.count, MISSED_COUNT_CAP);
  assert.equal(plan.missed?.missed?.countCapped, true);
  assert.equal(plan.missed?.missed?.last, iso(T0 + 2 * 86400_000));
  const small = planClaim(rec, T0, T0 + 10_000, 1000);
  assert.equal(small.missed?.missed?.count, 11);
  assert.equal(small.missed?.missed?.countCapped, undefined);
});

Deno.test("planClaim() after a resume records the occurrences as missed while paused", () => {
  const rec = record({ everySeconds: 10, startAt: iso(T0) }, "skip");
  const paused = { ...rec, status: "paused" as const, pausedAt: iso(T0 - 5) };
  const resumed = resumedRecord(paused, T0 + 60_000);
  const plan = planClaim(resumed, T0, T0 + 60_001, 1000, { startedAtMs: T0 + 100_000 });
  assert.equal(plan.missed?.reason, "paused");
  assert.equal(plan.missed?.missed?.count, 7);
  assert.equal(plan.next.pauseEndedAt, null);
});

async function logsOf(kvPath: string): Promise<StoredLog[]> {
  const kv = await Deno.openKv(kvPath);
  try {
    const out: StoredLog[] = [];
    for await (const e of kv.list<StoredLog>({ prefix: keys.logsPrefix() })) out.push(e.value);
    return out;
  } finally {
    kv.close();
  }
}

Deno.test("a kill -9 during an outage leaves one missed record per trigger", async () => {
  const first = await startServer();
  const kvPath = first.kvPath;
  const ids: string[] = [];
  for (let i = 0; i < 6; i++) {
    const res = await fetch(`${first.url}/api/triggers`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({
        name: `outage-${i}`,
        schedule: { everySeconds: 1 },
        misfire: i % 2 ? "skip" : "fire_once",
      }),
    });
    assert.equal(res.status, 201);
    ids.push((await res.json()).id);
  }
  first.kill("SIGKILL");
  await first.exited;
  await new Promise((r) => setTimeout(r, 4000));
  const srv = await startServer({ kvPath });
  try {
    // Wait for firings after the restart, so every trigger's first claim has been made.
    await waitFor(
      async () => {
        const logs = await logsOf(kvPath);
        return ids.every((id) =>
          logs.filter((l) => l.triggerId === id && l.outcome === "ok").length >= 3
        );
      },
      20_000,
      "firings after the restart",
    );
  } finally {
    await srv.stop();
  }
  const logs = await logsOf(kvPath);
  for (const [i, id] of ids.entries()) {
    const missed = logs.filter((l) => l.triggerId === id && l.outcome === "missed");
    assert.equal(missed.length, 1, `one record for trigger ${i}`);
    const m = missed[0];
    assert.equal(m.reason, "downtime");
    assert.equal(m.source, "schedule");
    assert.equal(m.delivery, null);
    // skip drops every occurrence of the outage; fire_once all but the catch-up.
    assert.ok(m.missed!.count >= (i % 2 ? 2 : 1), JSON.stringify(m.missed));
    const step = 1000;
    const span = Date.parse(m.missed!.last) - Date.parse(m.missed!.first);
    assert.equal(span, (m.missed!.count - 1) * step);
  }
});
