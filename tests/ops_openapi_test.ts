/**
 * `/openapi.json` is the route table (routes/route_table.ts) with the zod schemas that validate
 * each route; the table is exactly what the app registers; `/docs`.
 */
import assert from "node:assert/strict";
import { Ajv2020 } from "ajv/dist/2020.js";
import { z } from "zod";
import { LogListQuery, PreviewQuery, TriggerListQuery } from "../core/request_schemas.ts";
import { TestRequest, TriggerCreate, TriggerPatch } from "../core/schemas.ts";
import { LegacyScheduleBody } from "../routes/legacy.ts";
import { toComponentSchema } from "../http/openapi/openapi_builder.ts";
import { ROUTES } from "../http/openapi/route_table.ts";
import { testApp } from "./helpers/app.ts";

/** Every route of the table as [method, OpenAPI path]. */
const TABLE: [string, string][] = ROUTES.map((r) => [r.method, r.path]);
/** Request bodies and the zod schema each route validates with. */
const BODIES: [string, string, z.ZodType][] = [
  ["post", "/api/triggers", TriggerCreate],
  ["patch", "/api/triggers/{id}", TriggerPatch],
  ["post", "/api/test", TestRequest],
  ["post", "/api/preview", TestRequest],
  ["post", "/schedule_trigger", LegacyScheduleBody],
  ["post", "/test_trigger", LegacyScheduleBody],
];

const QUERIES: [string, z.ZodObject][] = [
  ["/api/triggers", TriggerListQuery],
  ["/api/logs", LogListQuery],
  ["/api/triggers/{id}/preview", PreviewQuery],
];

// deno-lint-ignore no-explicit-any
type Doc = any;

async function fetchDoc(): Promise<Doc> {
  await using t = await testApp({ config: { apiKeys: ["k"] } });
  const res = await t.call("GET", "/openapi.json"); // open even with a key configured
  assert.equal(res.status, 200);
  assert.equal(res.headers.get("content-type"), "application/json; charset=utf-8");
  return res.body;
}

function resolve(doc: Doc, schema: Doc): Doc {
  while (schema?.$ref) schema = doc.components.schemas[schema.$ref.split("/").at(-1)];
  return schema;
}

Deno.test("/openapi.json lists every route of the table and nothing else", async () => {
  const doc = await fetchDoc();
  assert.equal(doc.openapi, "3.1.0");
  for (const [method, path] of TABLE) {
    const op = doc.paths[path]?.[method];
    assert.ok(op, `${method.toUpperCase()} ${path} is missing`);
    assert.equal(typeof op.summary, "string");
    assert.ok(Object.keys(op.responses).length > 0);
    for (const m of path.matchAll(/\{(\w+)\}/g)) {
      assert.ok(op.parameters.some((p: Doc) => p.in === "path" && p.name === m[1]));
    }
  }
  const documented = Object.entries(doc.paths).flatMap(([path, ops]) =>
    Object.keys(ops as object).map((method) => `${method} ${path}`)
  );
  assert.deepEqual(documented.sort(), TABLE.map(([m, p]) => `${m} ${p}`).sort());
  // The API's own core routes are there (a table emptied by mistake would pass the above).
  for (
    const key of ["post /api/triggers", "get /api/events", "post /trigger_api", "get /healthz"]
  ) {
    assert.ok(documented.includes(key), key);
  }
});

Deno.test("the route table is exactly what the app registers (app.routes)", async () => {
  await using t = await testApp();
  // Middleware and the reference API's 405 fallbacks register as ALL; they are not routes.
  const registered = new Set(
    t.app.routes.filter((r) => r.method !== "ALL").map((r) =>
      `${r.method.toLowerCase()} ${r.path.replace(/:(\w+)/g, "{$1}").replace(/\/\*$/, "/{file}")}`
    ),
  );
  const table = new Set(TABLE.map(([m, p]) => `${m} ${p}`));
  assert.deepEqual(
    [...registered].filter((r) => !table.has(r)),
    [],
    "registered, not in the table",
  );
  assert.deepEqual(
    [...table].filter((r) => !registered.has(r)),
    [],
    "in the table, not registered",
  );
  assert.ok(table.size >= 30);
});

Deno.test("every route documents the answers its guards give", async () => {
  const doc = await fetchDoc();
  for (const r of ROUTES) {
    const codes = Object.keys(doc.paths[r.path][r.method].responses);
    const want = [
      ...(r.auth ? ["401", "429"] : []),
      ...(r.method !== "get" ? ["403", "429"] : []),
      ...(r.body ? ["408", "413", "415"] : []),
    ];
    for (const code of want) assert.ok(codes.includes(code), `${r.method} ${r.path} ${code}`);
  }
  const legacy = doc.paths["/schedule_trigger"].post.responses["415"];
  assert.equal(legacy.content["application/json"].schema.$ref, "#/components/schemas/LegacyError");
  const api = doc.paths["/api/triggers"].post.responses["415"];
  assert.equal(api.content["application/problem+json"].schema.$ref, "#/components/schemas/Problem");
});

Deno.test("request bodies are the zod schemas the routes validate with", async () => {
  const doc = await fetchDoc();
  for (const [method, path, schema] of BODIES) {
    const body = doc.paths[path][method].requestBody;
    assert.ok(body, `${method} ${path} has a request body`);
    const got = resolve(doc, body.content["application/json"].schema);
    const want = toComponentSchema(schema, "input", {});
    assert.deepEqual(got, want, `${method} ${path}`);
  }
  // Query parameters come from the query schemas, one parameter per field.
  for (const [path, schema] of QUERIES) {
    const params = doc.paths[path].get.parameters.filter((p: Doc) => p.in === "query");
    assert.deepEqual(params.map((p: Doc) => p.name), Object.keys(schema.shape), path);
  }
  const type = doc.paths["/api/triggers"].get.parameters.find((p: Doc) => p.name === "type");
  assert.deepEqual(type.schema.enum, ["scheduled", "api"]);
});

Deno.test("the described request schemas accept and reject what the routes do", async () => {
  const doc = await fetchDoc();
  const ajv = new Ajv2020({ strict: false, validateFormats: false });
  ajv.addSchema({ $id: "tock", components: doc.components });
  const validate = (name: string) => ajv.getSchema(`tock#/components/schemas/${name}`)!;
  const create = validate("TriggerCreate");
  const samples: [unknown, boolean][] = [
    [{ name: "a", schedule: { cron: "0 16 * * *", timezone: "Asia/Kolkata" } }, true],
    [{ name: "a", schedule: { everySeconds: 30 }, webhook: { url: "https://x.test/h" } }, true],
    [{ name: "a", type: "api", payloadSchema: { type: "object" }, payload: { n: [1] } }, true],
    [{ name: "a", schedule: { delaySeconds: 0 } }, false],
    [{ name: "a", schedule: { cron: "* * * * *", bogus: 1 } }, false],
    [{ name: "a", surprise: true }, false],
    [{ schedule: { delaySeconds: 5 } }, false],
    [{ name: "a", misfire: "sometimes" }, false],
  ];
  for (const [body, ok] of samples) {
    assert.equal(create(body), ok, JSON.stringify(body));
    assert.equal(TriggerCreate.safeParse(body).success, ok, `zod: ${JSON.stringify(body)}`);
  }
  const legacy = validate("LegacyScheduleBody");
  assert.equal(legacy({ trigger_name: "x", trigger_type: "api" }), true);
  assert.equal(legacy({ trigger_name: "x", trigger_type: "cron" }), false);
});

Deno.test("the document marks which routes need the API key", async () => {
  const doc = await fetchDoc();
  assert.deepEqual(doc.components.securitySchemes.bearer, { type: "http", scheme: "bearer" });
  for (const path of ["/healthz", "/openapi.json", "/docs", "/"]) {
    assert.deepEqual(doc.paths[path].get.security, [], path);
  }
  for (const [method, path] of TABLE) {
    if (!ROUTES.find((r) => r.path === path && r.method === method)!.auth) continue;
    const op = doc.paths[path][method];
    assert.deepEqual(op.security, [{ bearer: [] }], `${method} ${path}`);
    assert.ok(op.responses["401"], `${method} ${path} documents 401`);
  }
});

Deno.test("/docs renders the document with local files only", async () => {
  await using t = await testApp({ config: { apiKeys: ["k"] } });
  const page = await t.call("GET", "/docs");
  assert.equal(page.status, 200);
  assert.equal(page.headers.get("content-type"), "text/html; charset=utf-8");
  assert.match(page.headers.get("content-security-policy")!, /script-src 'self';/);
  const refs = [...page.body.matchAll(/(?:src|href)="([^"]+)"/g)].map((m) => m[1]);
  assert.deepEqual(refs, [
    "/static/favicon.svg",
    "/docs/docs.css",
    "/docs/docs.js",
    "/openapi.json",
  ]);
  const js = await t.call("GET", "/docs/docs.js");
  assert.equal(js.status, 200);
  assert.equal(js.headers.get("content-type"), "text/javascript; charset=utf-8");
  assert.match(js.body, /fetch\("\/openapi\.json"\)/);
  assert.doesNotMatch(js.body + page.body, /https?:\/\//);
  // The script is valid JavaScript.
  new Function(js.body.replace(/^main\(\)[\s\S]*$/m, ""));
  const css = await t.call("GET", "/docs/docs.css");
  assert.equal(css.status, 200);
  assert.equal(css.headers.get("content-type"), "text/css; charset=utf-8");
});

Deno.test("docs/api.md's endpoint tables and /openapi.json list the same operations", async () => {
  await using t = await testApp();
  const doc = (await t.call("GET", "/openapi.json")).body as {
    paths: Record<string, Record<string, unknown>>;
  };
  const described = new Set(
    Object.entries(doc.paths).flatMap(([path, ops]) =>
      Object.keys(ops).map((m) => `${m.toUpperCase()} ${path}`)
    ),
  );
  // Rows of the endpoint tables: "| METHOD[ / METHOD] | `path`[, `path`] | ...".
  const text = await Deno.readTextFile(new URL("../docs/api.md", import.meta.url));
  const documented = new Set<string>();
  for (const row of text.split("\n")) {
    const cells = row.split("|").map((c) => c.trim());
    if (!/^(GET|POST|PATCH|DELETE)( \/ (GET|POST|PATCH|DELETE))*$/.test(cells[1] ?? "")) continue;
    for (const method of cells[1].split(" / ")) {
      for (const [, raw] of cells[2].matchAll(/`([^`]+)`/g)) {
        const path = raw.split("?")[0].replace(/:(\w+)/g, "{$1}");
        documented.add(`${method} ${path}`);
      }
    }
  }
  assert.ok(documented.size > 20, `the tables were read (${documented.size} operations)`);
  // The UI's own assets and the docs page's are served, described, and not API operations.
  const assets = (op: string) => /^GET \/(static|docs)\//.test(op);
  assert.deepEqual([...documented].filter((op) => !described.has(op)).sort(), []);
  assert.deepEqual(
    [...described].filter((op) => !documented.has(op) && !assets(op)).sort(),
    [],
  );
});
