/**
 * Several instances on one KV: three server processes share a local KV file. Every occurrence
 * fires exactly once between them, and when one is killed the others carry on with its
 * triggers without a gap.
 */
import assert from "node:assert/strict";
import { keys } from "../db/keys.ts";
import type { StoredLog } from "../core/schemas.ts";
import { type RunningServer, startServer } from "./helpers/server.ts";

const iso = (ms: number) => new Date(ms).toISOString();
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function post(srv: RunningServer, body: unknown) {
  const res = await fetch(`${srv.url}/api/triggers`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(body),
  });
  const json = await res.json();
  assert.equal(res.status, 201, JSON.stringify(json));
  return json as { id: string; schedule: { at?: string; startAt?: string } };
}

Deno.test("three instances on one KV file fire each occurrence exactly once, and survive losing one", async () => {
  const first = await startServer();
  const kvPath = first.kvPath;
  const servers = [first, ...await Promise.all([startServer({ kvPath }), startServer({ kvPath })])];
  try {
    const now = Date.now();
    const anchor = Math.ceil((now + 2000) / 1000) * 1000;
    const every: { id: string; on: number }[] = [];
    const once: { id: string; at: number; on: number }[] = [];
    // Triggers created through every instance, recurring and one-time.
    await Promise.all(servers.map(async (srv, s) => {
      for (let i = 0; i < 8; i++) {
        const t = await post(srv, {
          name: `every-${s}-${i}`,
          schedule: { everySeconds: 1, startAt: iso(anchor) },
        });
        every.push({ id: t.id, on: s });
      }
      for (let i = 0; i < 20; i++) {
        const t = await post(srv, {
          name: `once-${s}-${i}`,
          schedule: { at: iso(anchor + 500 + 250 * i) },
        });
        once.push({ id: t.id, at: Date.parse(t.schedule.at!), on: s });
      }
    }));

    await sleep(anchor + 3200 - Date.now());
    const [victim, ...rest] = servers;
    victim.kill("SIGKILL");
    const killedAt = Date.now();
    await victim.exited;
    // Edits through the survivors while everything fires: payload changes keep every
    // occurrence, and contention on the file never surfaces as an error.
    const edits = await Promise.all(
      every.map((t, i) =>
        fetch(`${rest[i % 2].url}/api/triggers/${t.id}`, {
          method: "PATCH",
          headers: { "content-type": "application/json" },
          body: JSON.stringify({ payload: { edited: i } }),
        }).then(async (r) => [r.status, await r.text()])
      ),
    );
    for (const [status, body] of edits) assert.equal(status, 200, String(body));
    await sleep(anchor + 7500 - Date.now());
    const stoppedAt = Date.now();
    await Promise.all(rest.map((s) => s.stop()));

    const kv = await Deno.openKv(kvPath);
    const logs: StoredLog[] = [];
    for await (const e of kv.list<StoredLog>({ prefix: keys.logsPrefix() })) logs.push(e.value);
    kv.close();

    const count = new Map<string, number>();
    for (const l of logs) {
      assert.equal(l.source, "schedule");
      const k = `${l.triggerId}@${l.scheduledFor}`;
      count.set(k, (count.get(k) ?? 0) + 1);
    }
    const dupes = [...count].filter(([, c]) => c !== 1);
    assert.deepEqual(dupes, [], "every (trigger, occurrence) exactly once");

    for (const t of once) assert.equal(count.get(`${t.id}@${iso(t.at)}`), 1);
    // Every occurrence of every recurring trigger up to shortly before the stop, no gaps,
    // including the victim's triggers after it died.
    const lastK = Math.floor((stoppedAt - 1500 - anchor) / 1000);
    assert.ok(lastK >= 5);
    for (const t of every) {
      for (let k = 0; k <= lastK; k++) {
        assert.equal(count.get(`${t.id}@${iso(anchor + k * 1000)}`), 1, `${t.id} occurrence ${k}`);
      }
    }
    // The survivors took over: what came due after the kill fired, none of it past the misfire
    // grace (no catch-up below). How late is a speed figure (bench/scheduler_lateness.ts, multi).
    const afterKill = logs.filter((l) => Date.parse(l.scheduledFor!) > killedAt);
    assert.ok(afterKill.length > 8 * 3 * 3);
    assert.ok(
      afterKill.some((l) => l.triggerName.endsWith("-0-0") || l.triggerName.includes("-0-")),
    );
    assert.equal(logs.filter((l) => l.catchUp).length, 0);

    for (const srv of servers) {
      assert.doesNotMatch(srv.output(), /database is locked|scheduler \w+ failed/i);
    }
  } finally {
    for (const srv of servers) srv.kill("SIGKILL");
    await Promise.all(servers.map((s) => s.exited));
  }
});
