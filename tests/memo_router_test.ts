/** http/memo_router.ts: remembered route matches answer exactly what the trie answers. */
import assert from "node:assert/strict";
import { Hono } from "hono";
import { MemoRouter } from "../http/memo_router.ts";

type Found = [string, Record<string, string>];
/** The first handler and its params of a trie-router answer. */
function first(r: MemoRouter<string>, path: string): Found {
  return (r.match("GET", path)[0] as unknown as Found[])[0];
}

function app(router: MemoRouter<never>) {
  const a = new Hono({ router });
  a.use("*", async (c, next) => {
    await next();
    c.header("X-Seen", "1");
  });
  a.post("/api/triggers/bulk", (c) => c.text("bulk"));
  a.post("/api/triggers/:id/fire", (c) => c.text(`fire ${c.req.param("id")}`));
  a.get("/api/triggers/:id", (c) => c.text(`get ${c.req.param("id")}`));
  return a;
}

Deno.test("a remembered match gives each request its own path's params, method and handlers", async () => {
  const a = app(new MemoRouter<never>(4));
  const ask = async (method: string, path: string) => {
    const res = await a.request(path, { method });
    return `${res.status} ${res.headers.get("X-Seen")} ${await res.text()}`;
  };
  for (let round = 0; round < 3; round++) {
    assert.equal(await ask("POST", "/api/triggers/a/fire"), "200 1 fire a");
    assert.equal(await ask("POST", "/api/triggers/b%20c/fire"), "200 1 fire b c");
    assert.equal(await ask("GET", "/api/triggers/a"), "200 1 get a");
    assert.equal(await ask("POST", "/api/triggers/bulk"), "200 1 bulk");
    assert.equal(await ask("GET", "/api/triggers/a/fire"), "404 1 404 Not Found");
    assert.equal(await ask("DELETE", "/api/triggers/a"), "404 1 404 Not Found");
  }
});

Deno.test("the memory is bounded: endless distinct and overlong paths still match right", () => {
  const r = new MemoRouter<string>(8);
  r.add("GET", "/t/:id", "t");
  for (let i = 0; i < 1_000; i++) {
    const [handler, params] = first(r, `/t/${i}`);
    assert.equal(handler, "t");
    assert.equal(params.id, String(i));
  }
  assert.ok(r.size <= 8, `holds ${r.size}`);
  const long = "x".repeat(10_000);
  const [, params] = first(r, `/t/${long}`);
  assert.equal(params.id, long);
  assert.ok(r.size <= 8);
  // A route added later is seen by paths matched before it.
  r.match("GET", "/u/1");
  r.add("GET", "/u/:id", "u");
  assert.equal(first(r, "/u/1")[0], "u");
});
