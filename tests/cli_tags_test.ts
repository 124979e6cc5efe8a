/**
 * Tags through the CLI against a real server: `--tag` on create and update, `--no-tags`,
 * lookup by name through `?name=`, and tags in `export` and in `apply`'s plan.
 */
import assert from "node:assert/strict";
import type { Trigger } from "../core/schemas.ts";
import { tock, tockJson, uniq } from "./helpers/cli.ts";
import { type RunningServer, startServer } from "./helpers/server.ts";

let server: RunningServer;
let dir: string;
Deno.test.beforeAll(async () => {
  server = await startServer();
  dir = await Deno.makeTempDir({ prefix: "tock-cli-tags-" });
});
Deno.test.afterAll(async () => {
  await server.stop();
  await Deno.remove(dir, { recursive: true });
});

Deno.test("tock sets, replaces, clears, exports and applies tags", async () => {
  const url = server.url;
  const name = uniq("tagged");
  const made = await tockJson<Trigger>(url, [
    "triggers",
    "create",
    name,
    "--every",
    "3600",
    "--tag",
    "team:ops",
    "--tag",
    "nightly",
  ]);
  assert.deepEqual(made.tags, ["team:ops", "nightly"]);
  const updated = await tockJson<Trigger>(url, ["triggers", "update", name, "--tag", "x"]);
  assert.deepEqual(updated.tags, ["x"]);
  const bad = await tock(["triggers", "update", name, "--tag", "Bad Tag", "--url", url]);
  assert.notEqual(bad.code, 0);
  assert.match(bad.stderr, /tags\.0/);

  const path = `${dir}/export.json`;
  assert.equal((await tock(["export", "--out", path, "--url", url])).code, 0);
  const file = JSON.parse(await Deno.readTextFile(path));
  const spec = file.triggers.find((t: { name: string }) => t.name === name);
  assert.deepEqual(spec.tags, ["x"]);
  // Unchanged file: nothing to do; a changed tag: one update of "tags".
  const same = await tock(["apply", path, "--dry-run", "--url", url]);
  assert.match(same.stdout, /^No changes/);
  spec.tags = ["y"];
  await Deno.writeTextFile(path, JSON.stringify(file));
  const plan = await tock(["apply", path, "--dry-run", "--url", url]);
  assert.match(plan.stdout, /tags/);
  assert.equal((await tock(["apply", path, "--url", url])).code, 0);
  const after = await tockJson<Trigger>(url, ["triggers", "get", name]);
  assert.deepEqual(after.tags, ["y"]);
  const cleared = await tockJson<Trigger>(url, ["triggers", "update", name, "--no-tags"]);
  assert.deepEqual(cleared.tags, []);
});
