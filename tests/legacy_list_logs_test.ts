/**
 * `/list_logs?limit=`: default 500, at most 5,000, and `X-Total-Count` with how many entries
 * exist (active and archived), so an old client can tell when its answer was cut short.
 */
import assert from "node:assert/strict";
import { ManualClock } from "../core/clock.ts";
import { LIST_LOGS_DEFAULT, LIST_LOGS_MAX } from "../routes/legacy.ts";
import { testApp } from "./helpers/app.ts";

const HOUR = 3600_000;

Deno.test("/list_logs answers `limit` newest entries and counts all of them in X-Total-Count", async () => {
  const clock = new ManualClock(Date.parse("2026-11-29T08:00:00.000Z"));
  await using t = await testApp({ clock });
  const made = await t.call("POST", "/schedule_trigger", {
    trigger_name: "hook",
    trigger_type: "api",
  });
  assert.equal(made.status, 200);
  const fire = async (n: number) => {
    for (let i = 0; i < n; i++) {
      clock.advance(1000);
      assert.equal((await t.call("POST", `/trigger_api?trigger_name=hook`, { i })).status, 200);
    }
  };
  await fire(5);
  clock.advance(2 * HOUR + 60_000); // past the 2 h active window: those five are archived
  await fire(2);

  const some = await t.call("GET", "/list_logs?limit=3");
  assert.equal(some.status, 200);
  assert.equal(some.headers.get("x-total-count"), "7");
  assert.deepEqual(
    some.body.map((l: { state: string; payload: { i: number } }) => [l.state, l.payload.i]),
    [["active", 1], ["active", 0], ["archived", 4]],
    "newest first, archived ones included",
  );
  const all = await t.call("GET", "/list_logs");
  assert.equal(all.body.length, 7);
  assert.equal(all.headers.get("x-total-count"), "7");
  const most = await t.call("GET", `/list_logs?limit=${LIST_LOGS_MAX}`);
  assert.equal(most.status, 200);
  assert.equal(most.body.length, 7);
});

Deno.test("/list_logs refuses a limit that is not a whole number from 1 to 5000, as { error }", async () => {
  await using t = await testApp();
  for (const bad of [String(LIST_LOGS_MAX + 1), "0", "-1", "abc", "2.5", ""]) {
    const res = await t.call("GET", `/list_logs?limit=${bad}`);
    assert.equal(res.status, 400, `limit=${bad}`);
    assert.deepEqual(Object.keys(res.body), ["error"], `limit=${bad}`);
    assert.match(res.body.error, /limit/, `limit=${bad}`);
  }
});

Deno.test("/list_logs answers 500 entries by default and says how many there are", async () => {
  const clock = new ManualClock(Date.parse("2026-11-29T08:00:00.000Z"));
  await using t = await testApp({ clock });
  await t.call("POST", "/schedule_trigger", { trigger_name: "many", trigger_type: "api" });
  const total = LIST_LOGS_DEFAULT + 3;
  for (let i = 0; i < total; i++) {
    clock.advance(10);
    assert.equal((await t.call("POST", "/trigger_api?trigger_name=many")).status, 200);
  }
  const res = await t.call("GET", "/list_logs");
  assert.equal(res.status, 200);
  assert.equal(res.body.length, LIST_LOGS_DEFAULT);
  assert.equal(res.headers.get("x-total-count"), String(total));
  const more = await t.call("GET", `/list_logs?limit=${total + 10}`);
  assert.equal(more.body.length, total);
});
