/**
 * Creates share group commits and the name stays unique: concurrent creates of one name never
 * both succeed, whatever batch they land in.
 */
import assert from "node:assert/strict";
import { testApp, uniqueName } from "./helpers/app.ts";

Deno.test("concurrent creates share commits; of creates with one name exactly one succeeds", async () => {
  await using t = await testApp();
  const name = uniqueName("same");
  const before = t.deps.committer.stats().commits;
  const results = await Promise.all([
    ...Array.from({ length: 20 }, () => t.call("POST", "/api/triggers", { name, type: "api" })),
    ...Array.from(
      { length: 60 },
      (_, i) => t.call("POST", "/api/triggers", { name: `${name}-${i}`, type: "api" }),
    ),
  ]);
  const same = results.slice(0, 20);
  assert.equal(same.filter((r) => r.status === 201).length, 1);
  assert.deepEqual(same.filter((r) => r.status !== 201).map((r) => r.status), Array(19).fill(409));
  assert.ok(results.slice(20).every((r) => r.status === 201));
  const commits = t.deps.committer.stats().commits - before;
  assert.ok(commits < 80, `80 creates in ${commits} commits`);
  const listed = await t.call("GET", `/api/triggers?limit=500&q=${name}`);
  assert.equal(listed.status, 200);
  const names = (listed.body.items as { name: string }[]).map((x) => x.name);
  assert.equal(names.filter((n) => n === name).length, 1);
  assert.equal(listed.body.total ?? names.length, 61);
});
