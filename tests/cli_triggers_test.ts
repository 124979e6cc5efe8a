/**
 * `tock triggers ...` in-process against one real server (and one with an API key), started
 * once for the file in hooks. Steps share the triggers they create.
 */
import assert from "node:assert/strict";
import type { LogEntry, Trigger } from "../core/schemas.ts";
import { closedPort, tock, tockJson, uniq, WEBHOOK } from "./helpers/cli.ts";
import { type RunningServer, startServer } from "./helpers/server.ts";

let server: RunningServer;
let keyed: RunningServer;
let dir: string;
Deno.test.beforeAll(async () => {
  [server, keyed] = await Promise.all([
    startServer(),
    startServer({ args: ["--api-key", "s3cret"] }),
  ]);
  dir = await Deno.makeTempDir({ prefix: "tock-cli-" });
});
Deno.test.afterAll(async () => {
  await Promise.all([server.stop(), keyed.stop()]);
  await Deno.remove(dir, { recursive: true });
});

Deno.test("tock triggers manages triggers on a running server", async (t) => {
  const url = server.url;
  const name = uniq("nightly");
  const apiName = uniq("deploy");
  let id = "";
  let apiId = "";

  await t.step("create prints a confirmation, or the stored trigger with --json", async () => {
    const r = await tock([
      ...["triggers", "create", name, "--cron", "0 3 * * *", "--timezone", "Asia/Kolkata"],
      ...["--payload", '{"k":1}', "--url", url],
    ]);
    assert.equal(r.code, 0, r.stderr);
    const m = /^Created trigger "(.+)" \(([0-9A-Z]{26})\)\n$/.exec(r.stdout);
    assert.ok(m, r.stdout);
    assert.equal(m[1], name);
    id = m[2];
    const api = await tockJson<Trigger>(url, [
      ...["triggers", "create", "--name", apiName, "--type", "api"],
      ...["--payload-schema", '{"type":"object","required":["ref"]}'],
      ...["--webhook", "http://127.0.0.1:9/hook", "--webhook-header", "X-Team: ops"],
    ]);
    apiId = api.id;
    assert.equal(api.name, apiName);
    assert.equal(api.type, "api");
    assert.equal(api.schedule, null);
    assert.equal(api.status, "active");
    assert.equal(api.version, 1);
    assert.deepEqual(api.payloadSchema, { type: "object", required: ["ref"] });
    assert.deepEqual(api.webhook, { ...WEBHOOK, headers: { "X-Team": "ops" } });
  });

  await t.step("get finds a trigger by name and by id", async () => {
    const [byName, byId] = await Promise.all([
      tockJson<Trigger>(url, ["triggers", "get", name]),
      tockJson<Trigger>(url, ["triggers", "get", id]),
    ]);
    assert.deepEqual(byName, byId);
    assert.equal(byName.id, id);
    assert.equal(byName.type, "scheduled");
    assert.deepEqual(byName.schedule, { cron: "0 3 * * *", timezone: "Asia/Kolkata" });
    assert.deepEqual(byName.payload, { k: 1 });
    assert.equal(byName.misfire, "fire_once");
    assert.equal(byName.runCount, 0);
    const r = await tock(["triggers", "get", name, "--url", url]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, new RegExp(`^name +${name}$`, "m"));
    assert.match(r.stdout, /^schedule +cron 0 3 \* \* \* Asia\/Kolkata$/m);
    assert.match(r.stdout, new RegExp(`^next run +${byName.nextRunAt}$`, "m"));
  });

  await t.step("list prints an aligned table, or every trigger with --json", async () => {
    const [all, apis, table] = await Promise.all([
      tockJson<Trigger[]>(url, ["triggers", "list"]),
      tockJson<Trigger[]>(url, ["triggers", "list", "--type", "api"]),
      tock(["triggers", "list"], { env: { TOCK_URL: url } }),
    ]);
    assert.deepEqual(all.map((x) => x.name).sort(), [apiName, name].sort());
    assert.deepEqual(apis.map((x) => x.id), [apiId]);
    assert.equal(table.code, 0, table.stderr);
    const lines = table.stdout.trimEnd().split("\n");
    assert.equal(lines.length, 3);
    assert.match(lines[0], /^ID {26}NAME +TYPE +STATUS +SCHEDULE +NEXT RUN +RUNS$/);
    const nameCol = lines[0].indexOf("NAME");
    for (const row of lines.slice(1)) {
      assert.match(row.slice(nameCol), new RegExp(`^(${name}|${apiName}) `));
    }
    assert.ok(lines.some((l) => l.includes("cron 0 3 * * * Asia/Kolkata")));
  });

  await t.step("update changes only the given fields", async () => {
    const updated = await tockJson<Trigger>(url, ["triggers", "update", name, "--every", "3600"]);
    assert.equal(updated.id, id);
    assert.equal((updated.schedule as { everySeconds: number }).everySeconds, 3600);
    assert.deepEqual(updated.payload, { k: 1 });
    assert.equal(updated.version, 2);
    const r = await tock(["triggers", "update", id, "--misfire", "skip", "--url", url]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, `Updated trigger "${name}" (${id})\n`);
  });

  await t.step("pause and resume change the status", async () => {
    const paused = await tockJson<Trigger>(url, ["triggers", "pause", name]);
    assert.equal(paused.status, "paused");
    const listed = await tockJson<Trigger[]>(url, ["triggers", "list", "--status", "paused"]);
    assert.deepEqual(listed.map((x) => x.id), [id]);
    const r = await tock(["triggers", "resume", name, "--url", url]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, `Resumed trigger "${name}" (${id})\n`);
    const got = await tockJson<Trigger>(url, ["triggers", "get", id]);
    assert.equal(got.status, "active");
  });

  await t.step("fire returns the log entry, with a payload from a flag or a file", async () => {
    const manual = await tockJson<LogEntry>(url, [
      "triggers",
      "fire",
      name,
      "--payload",
      '{"x":2}',
    ]);
    assert.equal(manual.triggerId, id);
    assert.equal(manual.triggerName, name);
    assert.equal(manual.source, "manual");
    assert.equal(manual.test, false);
    assert.equal(manual.scheduledFor, null);
    assert.deepEqual(manual.payload, { x: 2 });
    // A relative file resolves against the caller's directory.
    await Deno.writeTextFile(`${dir}/payload.json`, '{"ref":"main"}');
    const fired = await tockJson<LogEntry>(
      url,
      ["triggers", "fire", apiId, "--payload-file", "payload.json"],
      { cwd: dir },
    );
    assert.equal(fired.source, "api");
    assert.equal(fired.triggerName, apiName);
    assert.deepEqual(fired.payload, { ref: "main" });
  });

  await t.step("refusals exit 1 with the title, detail and each field error", async () => {
    await Deno.writeTextFile(`${dir}/bad.json`, '{"name":"bad","schedule":{"cron":"61 * * * *"}}');
    const port = closedPort();
    const [cron, dup, schema, unknown, unknownId, badTest, down] = await Promise.all([
      tock(["triggers", "create", uniq("c"), "--cron", "not a cron", "--url", url]),
      tock(["triggers", "create", name, "--every", "60", "--url", url]),
      tock(["triggers", "fire", apiName, "--payload", '{"nope":1}', "--url", url]),
      tock(["triggers", "get", "no-such-trigger", "--url", url]),
      tock(["triggers", "delete", "01JDX0000000000000000000ZZ", "--url", url]),
      tock(["test", "bad.json", "--url", url], { cwd: dir }),
      tock(["triggers", "list", "--url", `http://127.0.0.1:${port}`]),
    ]);
    assert.equal(cron.code, 1);
    assert.match(cron.stderr, /^error: .+ \(HTTP 400\)$/m);
    assert.match(
      cron.stderr,
      /^ {2}schedule\.cron: Expected 5 fields \(or 6 with seconds first\), got 3$/m,
    );
    assert.equal(dup.code, 1);
    assert.match(dup.stderr, /^error: Conflict \(HTTP 409\)$/m);
    assert.equal(schema.code, 1);
    assert.match(schema.stderr, /^error: .+ \(HTTP 422\)$/m);
    assert.match(schema.stderr, /^ {2}\S*: .*ref/m);
    assert.equal(unknown.code, 1);
    assert.equal(
      unknown.stderr,
      'error: Not found (HTTP 404)\n  No trigger with id or name "no-such-trigger"\n',
    );
    assert.equal(unknownId.code, 1);
    assert.match(unknownId.stderr, /^error: Not found \(HTTP 404\)$/m);
    assert.equal(badTest.code, 1);
    assert.match(badTest.stderr, /^ {2}schedule\.cron: Invalid cron expression "61 \* \* \* \*"/m);
    assert.equal(down.code, 1);
    assert.match(
      down.stderr,
      new RegExp(`^error: Cannot reach Tock at http://127\\.0\\.0\\.1:${port}$`, "m"),
    );
    assert.match(down.stderr, /^hint: .*--url or TOCK_URL/m);
    assert.equal(down.stdout, "");
  });

  await t.step("delete removes the trigger", async () => {
    const deleted = await tockJson<{ id: string; deleted: boolean }>(url, [
      "triggers",
      "delete",
      name,
    ]);
    assert.deepEqual(deleted, { id, name, deleted: true });
    const r = await tock(["triggers", "get", id, "--url", url]);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /^error: Not found \(HTTP 404\)$/m);
  });

  await t.step(
    "create --file reads a definition (relative to the caller) that flags override",
    async () => {
      await Deno.writeTextFile(
        `${dir}/trigger.json`,
        JSON.stringify({ name: "from-file", schedule: { everySeconds: 60 }, payload: 1 }),
      );
      const created = await tockJson<Trigger>(
        url,
        ["triggers", "create", "--file", "trigger.json", "--name", "overridden", "--paused"],
        { cwd: dir },
      );
      assert.equal(created.name, "overridden");
      assert.equal(created.status, "paused");
      assert.equal(created.payload, 1);
      assert.equal((created.schedule as { everySeconds: number }).everySeconds, 60);
    },
  );
});

Deno.test("tock sends the API key from --api-key, --api-key-file, TOCK_API_KEY or TOCK_API_KEY_FILE", async () => {
  const url = keyed.url;
  const keyFile = `${dir}/key`;
  await Deno.writeTextFile(keyFile, "s3cret\n");
  const [none, flag, file, env, envFile, wrong] = await Promise.all([
    tock(["triggers", "list", "--url", url]),
    tock(["triggers", "list", "--json", "--url", url, "--api-key", "s3cret"]),
    tock(["triggers", "list", "--json", "--url", url, "--api-key-file", "key"], { cwd: dir }),
    tock(["triggers", "list", "--json"], { env: { TOCK_URL: url, TOCK_API_KEY: "s3cret" } }),
    tock(["triggers", "list", "--json"], { env: { TOCK_URL: url, TOCK_API_KEY_FILE: keyFile } }),
    tock(["triggers", "list", "--url", url, "--api-key", "nope"]),
  ]);
  assert.equal(none.code, 1);
  assert.match(none.stderr, /^error: Unauthorized \(HTTP 401\)$/m);
  assert.equal(wrong.code, 1);
  for (const r of [flag, file, env, envFile]) {
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(JSON.parse(r.stdout), []);
  }
});
