/**
 * `--max-triggers`: a create beyond the bound is a 409 on the REST and the reference API, a
 * failed create gives its room back, and room freed by a delete is seen at the next count of
 * the store (at most a second later: the clock here is moved by hand).
 */
import assert from "node:assert/strict";
import { ManualClock } from "../core/clock.ts";
import { testApp, uniqueName } from "./helpers/app.ts";

Deno.test("--max-triggers: one more trigger than the bound is a 409, and a delete makes room", async () => {
  const clock = new ManualClock(Date.now());
  await using t = await testApp({ clock, config: { maxTriggers: 3 } });
  const create = (name = uniqueName("quota")) =>
    t.call("POST", "/api/triggers", { name, type: "api" });
  const ids: string[] = [];
  for (let i = 0; i < 3; i++) {
    const res = await create();
    assert.equal(res.status, 201);
    ids.push(res.body.id);
  }
  const full = await create();
  assert.equal(full.status, 409);
  assert.equal(
    full.body.detail,
    "This store holds 3 triggers, the most --max-triggers allows: delete some first",
  );
  // The reference API's create is the same create.
  const legacy = await t.call("POST", "/schedule_trigger", {
    trigger_name: uniqueName("quota-legacy"),
    trigger_type: "api",
  });
  assert.equal(legacy.status, 409);
  assert.match(legacy.body.error, /--max-triggers/);
  assert.equal((await t.call("DELETE", `/api/triggers/${ids[0]}`)).status, 204);
  clock.advance(1_000);
  assert.equal((await create()).status, 201);
  assert.equal((await create()).status, 409);
});

Deno.test("--max-triggers: a create that fails gives its room back", async () => {
  await using t = await testApp({ clock: new ManualClock(Date.now()), config: { maxTriggers: 2 } });
  const name = uniqueName("taken");
  assert.equal((await t.call("POST", "/api/triggers", { name, type: "api" })).status, 201);
  // A duplicate name fails (409 for the name): it takes no room.
  for (let i = 0; i < 3; i++) {
    const dup = await t.call("POST", "/api/triggers", { name, type: "api" });
    assert.equal(dup.status, 409);
    assert.doesNotMatch(dup.body.detail, /--max-triggers/);
  }
  const res = await t.call("POST", "/api/triggers", { name: uniqueName("second"), type: "api" });
  assert.equal(res.status, 201);
});
