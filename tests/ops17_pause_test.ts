/**
 * Pause with a reason and an end (issue 17): the body's rules, the fields on the trigger, and
 * the automatic resume at `until`, made once by one of two servers sharing one KV file.
 */
import assert from "node:assert/strict";
import { testApp, uniqueName } from "./helpers/app.ts";
import { api, startServer, waitFor } from "./helpers/server.ts";

const iso = (ms: number) => new Date(ms).toISOString();

Deno.test("pause takes an optional reason and future end; resume clears them", async () => {
  await using t = await testApp();
  const created = await t.call("POST", "/api/triggers", {
    name: uniqueName(),
    schedule: { everySeconds: 60 },
  });
  assert.equal(created.status, 201);
  assert.equal(created.body.pausedReason, null);
  assert.equal(created.body.pausedAt, null);
  assert.equal(created.body.pausedUntil, null);
  const id = created.body.id;

  for (
    const [bad, path] of [
      [{ until: iso(Date.now() - 1000) }, "until"],
      [{ reason: "x".repeat(501) }, "reason"],
      [{ until: "tomorrow" }, "until"],
      [{ other: 1 }, "other"],
    ] as const
  ) {
    const res = await t.call("POST", `/api/triggers/${id}/pause`, bad);
    assert.equal(res.status, 400, JSON.stringify(res.body));
    assert.ok(res.body.errors.some((e: { path: string }) => e.path === path), path);
  }
  assert.equal((await t.call("GET", `/api/triggers/${id}`)).body.status, "active");

  const until = Date.now() + 3600_000;
  const paused = await t.call("POST", `/api/triggers/${id}/pause`, {
    reason: "db migration",
    until: new Date(until).toISOString().replace("Z", "+00:00"),
  });
  assert.equal(paused.status, 200, JSON.stringify(paused.body));
  assert.equal(paused.body.status, "paused");
  assert.equal(paused.body.pausedReason, "db migration");
  assert.equal(paused.body.pausedUntil, iso(until));
  assert.ok(Date.parse(paused.body.pausedAt) <= Date.now());

  // A second pause with a new reason replaces it and keeps when the pause began.
  const again = await t.call("POST", `/api/triggers/${id}/pause`, { reason: "longer" });
  assert.equal(again.body.pausedReason, "longer");
  assert.equal(again.body.pausedAt, paused.body.pausedAt);
  assert.equal(again.body.pausedUntil, iso(until));
  // A bare pause of a paused trigger changes nothing.
  const bare = await t.call("POST", `/api/triggers/${id}/pause`);
  assert.equal(bare.body.version, again.body.version);

  const resumed = await t.call("POST", `/api/triggers/${id}/resume`);
  assert.equal(resumed.body.status, "active");
  assert.equal(resumed.body.pausedReason, null);
  assert.equal(resumed.body.pausedAt, null);
  assert.equal(resumed.body.pausedUntil, null);
});

Deno.test("pause until resumes by itself once, with two instances on one KV", async () => {
  const a = await startServer();
  const b = await startServer({ kvPath: a.kvPath });
  try {
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) {
      const created = await api(a, "POST", "/api/triggers", {
        name: uniqueName("pu"),
        schedule: { everySeconds: 1 },
        misfire: i % 2 ? "skip" : "fire_once",
      });
      assert.equal(created.status, 201);
      ids.push(created.body.id);
    }
    const until = Date.now() + 2500;
    for (const [i, id] of ids.entries()) {
      const p = await api(i % 2 ? a : b, "POST", `/api/triggers/${id}/pause`, {
        reason: "maintenance",
        until: iso(until),
      });
      assert.equal(p.status, 200, JSON.stringify(p.body));
      assert.equal(p.body.version, 2);
    }
    for (const id of ids) {
      const t = await waitFor(
        async () => {
          const g = await api(b, "GET", `/api/triggers/${id}`);
          return g.body.status === "active" && g.body;
        },
        20_000,
        "the automatic resume",
      );
      assert.equal(t.pausedReason, null);
      assert.equal(t.pausedAt, null);
      assert.equal(t.pausedUntil, null);
    }
    // Both instances hold the due entry; a second resume would bump the version again. Wait for
    // firings after the resume so both have claimed past `until` before counting.
    for (const id of ids) {
      await waitFor(
        async () => {
          const logs = await api(a, "GET", `/api/logs?trigger=${id}&outcome=ok&limit=500`);
          return logs.body.items.some((l: { firedAt: string }) => Date.parse(l.firedAt) > until);
        },
        20_000,
        "a firing after the resume",
      );
      const t = await api(a, "GET", `/api/triggers/${id}`);
      assert.equal(t.body.version, 3, "exactly one resume transition");
      // What passed while paused is one record, through the outcome filter.
      const missed = await api(b, "GET", `/api/logs?trigger=${id}&outcome=missed`);
      assert.equal(missed.body.items.length, 1, JSON.stringify(missed.body));
      assert.equal(missed.body.items[0].reason, "paused");
      assert.ok(missed.body.items[0].missed.count >= 1);
    }
  } finally {
    await a.stop();
    await b.stop();
  }
});
