/** Hostile input is a 400 (or 404), never a 500 nor a silent collision: issue 13. */
import assert from "node:assert/strict";
import { testApp, uniqueName } from "./helpers/app.ts";
import { jsonTextTooDeep, jsonValueTooDeep, MAX_JSON_DEPTH } from "../core/json_bounds.ts";
import { SCHEMA_LIMITS, schemaBoundProblem } from "../core/payload_schema.ts";

Deno.test("payload schemas over a bound are 400 at payloadSchema", async () => {
  await using t = await testApp();
  let deep: Record<string, unknown> = { type: "string" };
  for (let i = 0; i < 40; i++) deep = { items: deep };
  const many: Record<string, unknown> = {};
  for (let i = 0; i < 300; i++) many[`p${i}`] = {};
  const cases: [unknown, RegExp][] = [
    [{ description: "x".repeat(SCHEMA_LIMITS.bytes) }, /at most 16384 are allowed/],
    [deep, /nests deeper than 32 levels/],
    [{ properties: many }, /more than 256 subschemas/],
    [{ pattern: "(" }, /^Invalid regular expression at "\/pattern"/],
    [
      { patternProperties: { "(?=x)": {} } },
      /^Invalid regular expression at "\/patternProperties"/,
    ],
  ];
  for (const [schema, message] of cases) {
    const res = await t.call("POST", "/api/triggers", {
      name: uniqueName(),
      type: "api",
      payloadSchema: schema,
    });
    assert.equal(res.status, 400);
    assert.equal(res.body.errors.length, 1);
    assert.equal(res.body.errors[0].path, "payloadSchema");
    assert.match(res.body.errors[0].message, message);
  }
  // Values of enum/const are data, not subschemas: 300 objects there are fine.
  assert.equal(schemaBoundProblem({ enum: Array.from({ length: 300 }, (_, i) => ({ i })) }), null);
});

Deno.test("a 422 lists at most 20 short errors and says how many there were", async () => {
  await using t = await testApp();
  const created = await t.call("POST", "/api/triggers", {
    name: uniqueName(),
    type: "api",
    payloadSchema: { type: "array", items: { type: "string", pattern: "^" + "y".repeat(300) } },
  });
  assert.equal(created.status, 201);
  const res = await t.call("POST", `/api/triggers/${created.body.id}/fire`, Array(500).fill(1));
  assert.equal(res.status, 422);
  assert.equal(res.body.errors.length, 20);
  assert.match(res.body.detail, /\(first 20 of 500\)$/);
  for (const e of res.body.errors) assert.ok(e.message.length <= 200, e.message);
});

Deno.test("names with invisible characters or lone surrogates are 400 at name", async () => {
  await using t = await testApp();
  for (
    const name of [
      "fx\u200b-api",
      "pay\u202eexe",
      "c1\u0085x",
      "line\u2028sep",
      "sur\ud800",
      "sur\udfff",
    ]
  ) {
    const res = await t.call("POST", "/api/triggers", { name, type: "api" });
    assert.equal(res.status, 400, JSON.stringify(name));
    assert.deepEqual(res.body.errors.map((e: { path: string }) => e.path), ["name"]);
  }
  // Ordinary non-ASCII names stay allowed.
  const ok = await t.call("POST", "/api/triggers", { name: "café-日本-🎉", type: "api" });
  assert.equal(ok.status, 201);
  const patched = await t.call("PATCH", `/api/triggers/${ok.body.id}`, { name: "a\u200db" });
  assert.equal(patched.status, 400);
});

Deno.test("webhook headers with CR, LF, NUL, non-Latin-1 values or bad names are 400 at the header", async () => {
  await using t = await testApp();
  const cases: [Record<string, string>, string][] = [
    [{ "X-A": "a\r\nX-Injected: 1" }, "webhook.headers.X-A"],
    [{ "X-B": "a\nb" }, "webhook.headers.X-B"],
    [{ "X-C": "a\u0000b" }, "webhook.headers.X-C"],
    [{ "X-D": "snow \u2603" }, "webhook.headers.X-D"],
    [{ "Bad Name": "v" }, "webhook.headers.Bad Name"],
  ];
  for (const [headers, path] of cases) {
    const res = await t.call("POST", "/api/triggers", {
      name: uniqueName(),
      type: "api",
      webhook: { url: "http://127.0.0.1:9/hook", headers },
    });
    assert.equal(res.status, 400, JSON.stringify(headers));
    assert.deepEqual(res.body.errors.map((e: { path: string }) => e.path), [path]);
  }
  const ok = await t.call("POST", "/api/triggers", {
    name: uniqueName(),
    type: "api",
    webhook: { url: "http://127.0.0.1:9/hook", headers: { "X-Latin": "café\tü" } },
  });
  assert.equal(ok.status, 201);
});

Deno.test("deeply nested JSON is a 400, not a 500", async () => {
  await using t = await testApp();
  const deep = "[".repeat(3000) + "]".repeat(3000);
  const create = await t.call(
    "POST",
    "/api/triggers",
    `{"name":"deep","type":"api","payload":${deep}}`,
  );
  assert.equal(create.status, 400);
  assert.equal(create.body.detail, "The request body nests deeper than 64 levels");
  const test = await t.call("POST", "/api/test", `{"type":"api","payload":${deep}}`);
  assert.equal(test.status, 400);
  assert.equal((await t.call("GET", "/api/triggers")).body.items.length, 0);
  // A fire body is a payload of its own, checked before it is parsed (no schema needed).
  const api = await t.call("POST", "/api/triggers", { name: "plain", type: "api" });
  assert.equal(api.status, 201);
  const fire = await t.call("POST", `/api/triggers/${api.body.id}/fire`, deep);
  assert.equal(fire.status, 400);
  const legacy = await t.call("POST", "/trigger_api?trigger_name=plain", deep);
  assert.equal(legacy.status, 400);
  assert.match(legacy.body.error, /nests deeper than 64 levels/);
  // The checks the body parser can call before JSON.parse, and on parsed values.
  assert.equal(jsonTextTooDeep(deep), true);
  assert.equal(jsonTextTooDeep('{"a":"[[[[[[[[","b":[1,[2]]}'), false);
  const nested = "[".repeat(MAX_JSON_DEPTH) + "]".repeat(MAX_JSON_DEPTH);
  assert.equal(jsonTextTooDeep(nested), false);
  assert.equal(jsonTextTooDeep("[" + nested + "]"), true);
  assert.equal(jsonValueTooDeep(JSON.parse(nested)), false);
  assert.equal(jsonValueTooDeep(JSON.parse("[" + nested + "]")), true);
});

Deno.test("over-long ids, refs and cursors are 400 or 404, not 500", async () => {
  await using t = await testApp();
  const long = "x".repeat(3000);
  const expect: [string, string, number][] = [
    ["GET", `/api/logs?trigger=${long}`, 400],
    ["GET", `/api/logs?cursor=${long}`, 400],
    ["GET", `/api/triggers?cursor=${long}`, 400],
    ["GET", `/api/triggers/${long}`, 404],
    ["GET", `/api/logs/${long}`, 404],
    ["POST", `/api/triggers/${long}/fire`, 404],
    ["POST", "/api/triggers", 400],
    ["POST", `/trigger_api?trigger_name=${long}`, 404],
    ["POST", "/remove_trigger", 404],
  ];
  for (const [method, path, status] of expect) {
    const body = method === "POST" && path === "/api/triggers"
      ? { name: long, type: "api" }
      : path === "/remove_trigger"
      ? { trigger_name: long }
      : undefined;
    const res = await t.call(method, path, body);
    assert.equal(res.status, status, `${method} ${path.slice(0, 40)}`);
  }
});
