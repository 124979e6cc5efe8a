/**
 * The reference API is a sub-app with its own error format: everything that goes wrong on its
 * routes (its handlers, its guards) answers `{ error }`; the rest of the app answers problem+json.
 */
import assert from "node:assert/strict";
import { testApp, uniqueName } from "./helpers/app.ts";

Deno.test("reference routes answer { error } for handler and guard failures alike", async () => {
  await using t = await testApp({ config: { apiKeys: ["k1"], maxPayloadBytes: 256 } });
  const auth = { Authorization: "Bearer k1" };
  const cases: [string, string, unknown, Record<string, string>, number, RegExp][] = [
    ["POST", "/schedule_trigger", { trigger_type: "api" }, auth, 400, /^The request is invalid: /],
    ["POST", "/remove_trigger", { trigger_name: uniqueName() }, auth, 404, /^No trigger named/],
    ["POST", "/trigger_api", {}, auth, 400, /trigger_name is required/],
    ["POST", "/schedule_trigger", { pad: "x".repeat(300) }, auth, 413, /larger than 256 bytes/],
    ["GET", "/list_triggers", undefined, {}, 401, /^An API key is required/],
    [
      "POST",
      "/schedule_trigger",
      {},
      { ...auth, Origin: "https://evil.example" },
      403,
      /not allowed/,
    ],
    ["GET", "/schedule_trigger", undefined, auth, 405, /^Method not allowed$/],
    ["DELETE", "/list_logs", undefined, auth, 405, /^Method not allowed$/],
  ];
  for (const [method, path, body, headers, status, error] of cases) {
    const res = await t.call(method, path, body, headers);
    assert.equal(res.status, status, `${method} ${path}`);
    assert.match(res.headers.get("content-type")!, /^application\/json/, `${method} ${path}`);
    assert.deepEqual(Object.keys(res.body), ["error"], `${method} ${path}`);
    assert.match(res.body.error, error, `${method} ${path}`);
  }
});

Deno.test("the rest of the app keeps problem+json, also for routes added after createApp", async () => {
  await using t = await testApp();
  t.app.get("/api/boom", () => {
    throw new Error("kaboom");
  });
  const boom = await t.call("GET", "/api/boom");
  assert.equal(boom.status, 500);
  assert.equal(boom.headers.get("content-type"), "application/problem+json");
  assert.deepEqual(boom.body, {
    type: "https://tock.dev/problems/500",
    title: "Internal Server Error",
    status: 500,
    detail: "Unexpected error",
  });
  for (const path of ["/api/nowhere", "/schedule_trigger/extra", "/list_logsx"]) {
    const res = await t.call("GET", path);
    assert.equal(res.status, 404, path);
    assert.equal(res.headers.get("content-type"), "application/problem+json", path);
    assert.equal(res.body.detail, `No route for GET ${path}`);
  }
  const bad = await t.call("POST", "/api/triggers", { name: "" });
  assert.equal(bad.status, 400);
  assert.equal(bad.headers.get("content-type"), "application/problem+json");
});
