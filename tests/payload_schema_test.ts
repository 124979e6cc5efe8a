/** Payload schemas of api triggers: checked at create, enforced at fire time, cached per version. */
import assert from "node:assert/strict";
import { testApp, uniqueName } from "./helpers/app.ts";
import { receiver, webhookApp } from "./webhook_helpers.ts";

const ORDER_SCHEMA = {
  type: "object",
  required: ["orderId", "amount"],
  properties: {
    orderId: { type: "string", minLength: 1 },
    amount: { type: "number", minimum: 0 },
    items: { type: "array", items: { type: "object", required: ["sku"] } },
  },
  additionalProperties: false,
};

Deno.test("POST /api/triggers rejects a payload schema that is not valid JSON Schema", async () => {
  await using t = await testApp();
  const res = await t.call("POST", "/api/triggers", {
    name: uniqueName(),
    type: "api",
    payloadSchema: { type: "nope" },
  });
  assert.equal(res.status, 400);
  assert.equal(res.headers.get("content-type"), "application/problem+json");
  assert.equal(res.body.errors.length, 1);
  assert.equal(res.body.errors[0].path, "payloadSchema");
  assert.match(res.body.errors[0].message, /^Invalid JSON Schema: schema is invalid: data\/type/);
  const list = await t.call("GET", "/api/triggers");
  assert.deepEqual(list.body.items, []);
});

Deno.test("POST /api/triggers rejects a payload schema on a scheduled trigger", async () => {
  await using t = await testApp();
  const res = await t.call("POST", "/api/triggers", {
    name: uniqueName(),
    schedule: { everySeconds: 60 },
    payloadSchema: { type: "object" },
  });
  assert.equal(res.status, 400);
  assert.deepEqual(res.body.errors, [{
    path: "payloadSchema",
    message: "Only api triggers take a payload schema",
  }]);
});

Deno.test("firing with a payload that fails the schema is a 422 listing each error, and logs nothing", async () => {
  await using t = await testApp();
  const created = await t.call("POST", "/api/triggers", {
    name: uniqueName(),
    type: "api",
    payloadSchema: ORDER_SCHEMA,
  });
  assert.equal(created.status, 201);
  assert.deepEqual(created.body.payloadSchema, ORDER_SCHEMA);
  const id = created.body.id;

  const res = await t.call("POST", `/api/triggers/${id}/fire`, {
    amount: -5,
    items: [{ sku: "a" }, { qty: 2 }],
    coupon: "X",
  });
  assert.equal(res.status, 422);
  assert.equal(res.headers.get("content-type"), "application/problem+json");
  assert.equal(res.body.status, 422);
  assert.equal(res.body.title, "Payload does not match the trigger's schema");
  assert.deepEqual(res.body.errors, [
    { path: "payload.orderId", message: "must have required property 'orderId'" },
    { path: "payload.coupon", message: "must NOT have additional properties" },
    { path: "payload.amount", message: "must be >= 0" },
    { path: "payload.items.1.sku", message: "must have required property 'sku'" },
  ]);

  // The default payload (null) is validated too when the request has no body.
  const empty = await t.call("POST", `/api/triggers/${id}/fire`);
  assert.equal(empty.status, 422);
  assert.deepEqual(empty.body.errors, [{ path: "payload", message: "must be object" }]);

  const logs = await t.call("GET", `/api/logs?trigger=${id}`);
  assert.deepEqual(logs.body.items, []);
  const trig = await t.call("GET", `/api/triggers/${id}`);
  assert.equal(trig.body.runCount, 0);
  assert.equal(trig.body.lastRunAt, null);

  const ok = await t.call("POST", `/api/triggers/${id}/fire`, { orderId: "o-1", amount: 3 });
  assert.equal(ok.status, 202);
  assert.deepEqual(ok.body.payload, { orderId: "o-1", amount: 3 });
  const after = await t.call("GET", `/api/logs?trigger=${id}`);
  assert.deepEqual(after.body.items.map((l: { id: string }) => l.id), [ok.body.id]);
});

Deno.test("a rejected firing sends no webhook", async () => {
  const rx = receiver();
  await using t = await webhookApp();
  try {
    const id = await t.apiTrigger({ url: rx.url }, { payloadSchema: { type: "integer" } });
    const bad = await t.call("POST", `/api/triggers/${id}/fire`, "1.5");
    assert.equal(bad.status, 422);
    assert.deepEqual(bad.body.errors, [{ path: "payload", message: "must be integer" }]);
    const good = await t.fire(id, 7);
    assert.equal((await t.settled(good.id)).outcome, "ok");
    assert.deepEqual(rx.hits.map((h) => h.body), ["7"]);
  } finally {
    await rx.close();
  }
});

Deno.test("patching the payload schema takes effect at once (cached per trigger version)", async () => {
  await using t = await testApp();
  const created = await t.call("POST", "/api/triggers", {
    name: uniqueName(),
    type: "api",
    payloadSchema: { type: "object", required: ["a"] },
  });
  const id = created.body.id;
  assert.equal((await t.call("POST", `/api/triggers/${id}/fire`, { a: 1 })).status, 202);
  // The compiled version-1 schema is cached now; the patch must not be shadowed by it.
  const patched = await t.call("PATCH", `/api/triggers/${id}`, {
    payloadSchema: { type: "object", required: ["b"] },
  });
  assert.equal(patched.status, 200);
  assert.equal(patched.body.version, 2);
  const old = await t.call("POST", `/api/triggers/${id}/fire`, { a: 1 });
  assert.equal(old.status, 422);
  assert.deepEqual(old.body.errors, [{
    path: "payload.b",
    message: "must have required property 'b'",
  }]);
  assert.equal((await t.call("POST", `/api/triggers/${id}/fire`, { b: 1 })).status, 202);

  // Removing the schema accepts anything.
  await t.call("PATCH", `/api/triggers/${id}`, { payloadSchema: null });
  assert.equal((await t.call("POST", `/api/triggers/${id}/fire`, '"anything"')).status, 202);
});

Deno.test("two triggers may use schemas with the same $id", async () => {
  await using t = await testApp();
  const schema = { $id: "https://example.com/order.json", type: "object", required: ["id"] };
  const ids: string[] = [];
  for (let i = 0; i < 2; i++) {
    const res = await t.call("POST", "/api/triggers", {
      name: uniqueName(),
      type: "api",
      payloadSchema: schema,
    });
    assert.equal(res.status, 201, JSON.stringify(res.body));
    ids.push(res.body.id);
  }
  for (const id of ids) {
    assert.equal((await t.call("POST", `/api/triggers/${id}/fire`, { id: 1 })).status, 202);
    assert.equal((await t.call("POST", `/api/triggers/${id}/fire`, {})).status, 422);
  }
  // Patching another field re-checks the unchanged schema: still fine.
  const patch = await t.call("PATCH", `/api/triggers/${ids[0]}`, { payload: { id: 0 } });
  assert.equal(patch.status, 200);
});

Deno.test("POST /api/test validates the payload against the definition's schema", async () => {
  await using t = await testApp();
  const bad = await t.call("POST", "/api/test", {
    type: "api",
    payloadSchema: { type: "object", properties: { n: { type: "integer" } } },
    payload: { n: "one" },
  });
  assert.equal(bad.status, 422);
  assert.deepEqual(bad.body.errors, [{ path: "payload.n", message: "must be integer" }]);
  const logs = await t.call("GET", "/api/logs");
  assert.deepEqual(logs.body.items, []);

  const good = await t.call("POST", "/api/test", {
    type: "api",
    payloadSchema: { type: "object", properties: { n: { type: "integer" } } },
    payload: { n: 1 },
  });
  assert.equal(good.status, 200);
  assert.equal(good.body.log.test, true);
});
