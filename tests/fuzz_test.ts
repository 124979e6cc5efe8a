/**
 * A bounded, deterministic fuzz of every endpoint (REST and reference): malformed bodies (wrong
 * types, huge numbers, deep nesting, invalid UTF-8, odd unicode, long strings, primitives), bad
 * query parameters, long or garbage ids and cursors, and bad headers (Idempotency-Key,
 * Last-Event-ID, content types). A seeded PRNG picks every input, so a failure replays exactly
 * (the message names the request). Asserts: no 5xx; every 4xx leaves the store exactly as it was
 * (every KV key and versionstamp, the health probe's own key aside); `/healthz` 200 throughout.
 */
import assert from "node:assert/strict";
import { testApp } from "./helpers/app.ts";

const SEED = 0x7ac0c;
const REQUESTS = 900;

/** mulberry32: small, seeded, good enough to spread inputs. */
function prng(seed: number) {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return {
    next,
    int: (n: number) => Math.floor(next() * n),
    pick<T>(xs: readonly T[]): T {
      return xs[Math.floor(next() * xs.length)];
    },
  };
}
type Rng = ReturnType<typeof prng>;

const FIELDS = [
  "name",
  "type",
  "schedule",
  "cron",
  "timezone",
  "everySeconds",
  "at",
  "delaySeconds",
  "startAt",
  "maxRuns",
  "payload",
  "payloadSchema",
  "webhook",
  "url",
  "headers",
  "secret",
  "method",
  "misfire",
  "status",
  "trigger_name",
  "trigger_type",
  "delay_seconds",
  "interval_seconds",
  "count",
  "tags",
  "reason",
  "until",
  "__proto__",
  "constructor",
  "",
] as const;
const NUMBERS = [0, -1, -1e9, 1e21, 2 ** 53 + 1, 1e308, -1e308, 123456789, 0.000001, 3.5e-320];
const STRINGS = [
  "",
  " ",
  "x".repeat(3000),
  "y".repeat(70_000),
  "sur\ud800",
  "sur\udfff",
  "fx\u200b-api",
  "\u202eevil",
  "\u0085c1",
  "line\u2028sep",
  "nul\u0000byte",
  "emoji 🦖🕰️",
  "0 0 31 2 *",
  "* * * * * * *",
  "2030-01-01T00:00:00Z",
  "1970-01-01T00:00:00.000Z",
  "not-a-date",
  "http://169.254.169.254/latest",
  "javascript:alert(1)",
  "Europe/Nowhere",
  "api",
  "scheduled",
  "01ARZ3NDEKTSV4RRFFQ69G5FAV",
  "ZZZZZZZZZZZZZZZZZZZZZZZZZZ",
  "../../etc/passwd",
  "%00%ff",
  '{"a":1}',
];

function value(r: Rng, depth: number): unknown {
  const k = r.int(depth > 3 ? 4 : 7);
  switch (k) {
    case 0:
      return null;
    case 1:
      return r.next() < 0.5;
    case 2:
      return r.pick(NUMBERS);
    case 3:
      return r.pick(STRINGS);
    case 4:
      return Array.from({ length: r.int(4) }, () => value(r, depth + 1));
    default: {
      const o: Record<string, unknown> = {};
      for (let i = r.int(5); i > 0; i--) o[r.pick(FIELDS)] = value(r, depth + 1);
      return o;
    }
  }
}

/** Valid bodies of each endpoint; the fuzz breaks one field of one of them at a time. */
const TEMPLATES: Record<string, unknown>[] = [
  { name: "fz-new", type: "api" },
  { name: "fz-new", schedule: { everySeconds: 60 }, payload: { a: 1 } },
  { name: "fz-new", schedule: { cron: "*/5 * * * *", timezone: "UTC" }, misfire: "skip" },
  {
    name: "fz-new",
    type: "api",
    webhook: { url: "http://127.0.0.1:9/h", headers: { "x-a": "1" } },
  },
  {
    name: "fz-new",
    type: "api",
    payloadSchema: { type: "object", properties: { n: { type: "number" } } },
  },
  { trigger_name: "fz-legacy", trigger_type: "api", payload: { a: 1 } },
  { trigger_name: "fz-legacy", trigger_type: "scheduled", interval_seconds: 60 },
  { trigger_name: "fz-api" },
  { payload: { v: 1 } },
  { schedule: { at: "2030-01-01T00:00:00Z" } },
];

/** A valid body with one field (top-level or nested) replaced by a random value. */
function mutated(r: Rng): Record<string, unknown> {
  const t = structuredClone(r.pick(TEMPLATES));
  let target: Record<string, unknown> = t;
  const nested = Object.values(t).filter((v) =>
    v !== null && typeof v === "object" && !Array.isArray(v)
  );
  if (nested.length && r.next() < 0.4) target = r.pick(nested) as Record<string, unknown>;
  const keys = Object.keys(target);
  const key = r.next() < 0.8 && keys.length ? r.pick(keys) : r.pick(FIELDS);
  target[key] = value(r, 1);
  return t;
}

/** A request body: JSON of a random value, or raw bytes that are not JSON or not UTF-8. */
function body(r: Rng): string | Uint8Array | undefined {
  if (r.next() < 0.5) return JSON.stringify(mutated(r));
  switch (r.int(12)) {
    case 0:
      return undefined;
    case 1:
      return "[".repeat(5000) + "]".repeat(5000); // deep nesting
    case 2:
      return '{"a":'.repeat(3000) + "1" + "}".repeat(3000);
    case 3:
      return new Uint8Array([0x7b, 0x22, 0x6e, 0x22, 0x3a, 0x22, 0xff, 0xfe, 0x22, 0x7d]); // bad UTF-8
    case 4:
      return r.pick(["{", "nul", "{'a':1}", "\ufeff{}", "1e99999", "  ", '"\\ud800"', "[1,]"]);
    case 5:
      return JSON.stringify("z".repeat(40_000)); // over the default 32 KiB
    default:
      return JSON.stringify(value(r, 0));
  }
}

function id(r: Rng, ids: string[]): string {
  return r.pick([
    ...ids,
    ...ids,
    "x".repeat(3000),
    "01ARZ3NDEKTSV4RRFFQ69G5FAV",
    encodeURIComponent("sur\ud800".slice(0, 3)) + "%ED%A0%80",
    "%zz",
    encodeURIComponent("🦖"),
    "..",
    "%00",
    "a".repeat(300),
  ]);
}

function query(r: Rng, ids: string[], names: string[]): string {
  const keys = [
    "limit",
    "cursor",
    "trigger",
    "state",
    "since",
    "until",
    "source",
    "outcome",
    "count",
    "lastEventId",
    "trigger_name",
    "q",
    "tag",
    "sort",
    "order",
  ];
  const hostile = [
    "-1",
    "0",
    "1e309",
    "abc",
    "x".repeat(5000),
    "%",
    "%E0%A4%A",
    "🦖",
    "",
    "01ARZ3NDEKTSV4RRFFQ69G5FAV",
    "9999999999999999999999",
    "2030-13-45T99:99:99Z",
    "sur%ED%A0%80",
    "\u202e",
    "x".repeat(2100),
  ];
  const known = [...ids, ...names];
  const parts: string[] = [];
  for (let i = r.int(4); i > 0; i--) {
    const v = r.next() < 0.6 ? r.pick(hostile) : r.pick(known);
    parts.push(`${r.pick(keys)}=${v.includes("%") ? v : encodeURIComponent(v)}`);
  }
  return parts.length ? `?${parts.join("&")}` : "";
}

function headers(r: Rng): Record<string, string> {
  const h: Record<string, string> = {};
  const ct = r.pick([
    "application/json",
    "application/json",
    "application/json; charset=utf-8",
    "text/plain",
    "application/x-www-form-urlencoded",
    "",
  ]);
  if (ct) h["content-type"] = ct;
  if (r.next() < 0.3) {
    h["idempotency-key"] = r.pick(["k1", "", "x".repeat(300), "tab\tkey", "caf\u00e9", " lead"]);
  }
  if (r.next() < 0.2) h["last-event-id"] = r.pick(["garbage", "x".repeat(3000), "0"]);
  if (r.next() < 0.1) h["tock-hops"] = r.pick(["-1", "abc", "99999999999999999999", "3"]);
  return h;
}

/** Every KV key with its versionstamp, the health probe's key aside. */
async function snapshot(kv: Deno.Kv): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  for await (const e of kv.list({ prefix: [] })) {
    if (e.key[0] === "health") continue;
    out.set(JSON.stringify(e.key, (_k, v) => typeof v === "bigint" ? `${v}n` : v), e.versionstamp);
  }
  return out;
}

Deno.test("fuzz: malformed input to every endpoint never answers 5xx nor changes the store on 4xx", async () => {
  await using t = await testApp();
  const r = prng(SEED);
  const ids: string[] = [];
  const names: string[] = [];
  const seed = async () => {
    for (
      const def of [
        { name: "fz-api", type: "api", payloadSchema: { type: "object" } },
        { name: "fz-every", schedule: { everySeconds: 3600 } },
      ]
    ) {
      const res = await t.call("POST", "/api/triggers", def);
      if (res.status === 201) {
        ids.push(res.body.id);
        names.push(res.body.name);
      }
    }
  };
  await seed();
  assert.equal(ids.length, 2);

  type Make = () => { method: string; path: string };
  const endpoints: Make[] = [
    () => ({ method: "POST", path: "/api/triggers" }),
    () => ({ method: "GET", path: `/api/triggers${query(r, ids, names)}` }),
    () => ({ method: "GET", path: `/api/triggers/${id(r, ids)}` }),
    () => ({ method: "PATCH", path: `/api/triggers/${id(r, ids)}` }),
    () => ({ method: "DELETE", path: `/api/triggers/${id(r, ids)}` }),
    () => ({ method: "POST", path: `/api/triggers/${id(r, ids)}/pause` }),
    () => ({ method: "POST", path: `/api/triggers/${id(r, ids)}/resume` }),
    () => ({ method: "POST", path: `/api/triggers/${id(r, ids)}/fire` }),
    () => ({ method: "GET", path: `/api/triggers/${id(r, ids)}/preview${query(r, ids, names)}` }),
    () => ({ method: "GET", path: `/api/logs${query(r, ids, names)}` }),
    () => ({ method: "GET", path: `/api/logs/stats${query(r, ids, names)}` }),
    () => ({ method: "GET", path: `/api/logs/${id(r, ids)}` }),
    () => ({ method: "POST", path: `/api/logs/${id(r, ids)}/redeliver` }),
    () => ({ method: "POST", path: "/api/test" }),
    () => ({ method: "POST", path: "/api/preview" }),
    () => ({ method: "GET", path: `/api/events${query(r, ids, names)}` }),
    () => ({ method: "POST", path: "/schedule_trigger" }),
    () => ({ method: "GET", path: `/list_triggers${query(r, ids, names)}` }),
    () => ({ method: "POST", path: "/remove_trigger" }),
    () => ({ method: "POST", path: `/trigger_api${query(r, ids, names)}` }),
    () => ({ method: "GET", path: `/list_logs${query(r, ids, names)}` }),
    () => ({ method: "POST", path: "/test_trigger" }),
    () => ({ method: "GET", path: `/metrics${query(r, ids, names)}` }),
    () => ({ method: "GET", path: `/openapi.json${query(r, ids, names)}` }),
    () => ({ method: "GET", path: `/docs${query(r, ids, names)}` }),
    () => ({ method: r.pick(["PUT", "OPTIONS", "PATCH"]), path: `/api/logs/${id(r, ids)}` }),
  ];

  let before = await snapshot(t.kv);
  const counts = { "2xx": 0, "4xx": 0 };
  /** Every (method, path, status) the fuzz saw, for the OpenAPI check after the loop. */
  const seen = new Set<string>();
  for (let i = 0; i < REQUESTS; i++) {
    const { method, path } = r.pick(endpoints)();
    let b = method === "GET" || method === "DELETE" ? undefined : body(r);
    // A /test_trigger with a short positive delay waits for it: keep the fuzz fast.
    if (
      path === "/test_trigger" && typeof b === "string" &&
      /"delay_seconds":(0\.\d*[1-9]|[1-9])/.test(b)
    ) {
      b = b.replace(/"delay_seconds":[^,}\]]+/, '"delay_seconds":1e9');
    }
    const h = headers(r);
    const what = `#${i} ${method} ${path.slice(0, 120)} body=${
      b === undefined ? "none" : typeof b === "string" ? b.slice(0, 120) : `bytes(${b.length})`
    } headers=${JSON.stringify(h).slice(0, 200)}`;
    const res = await t.app.request(path, { method, headers: h, body: b as BodyInit | undefined });
    const status = res.status;
    await res.body?.cancel(); // /api/events streams forever
    assert.ok(status < 500, `${what} answered ${status}`);
    seen.add(`${method} ${path.split("?")[0]} ${status}`);
    const after = await snapshot(t.kv).catch((err) => {
      throw new Error(`${what} answered ${status} and left a value KV cannot read: ${err}`);
    });
    if (status >= 400) {
      counts["4xx"]++;
      assert.deepEqual(after, before, `${what} answered ${status} but changed the store`);
    } else counts["2xx"]++;
    before = after;
    if (i % 25 === 0) {
      const health = await t.app.request("/healthz");
      await health.body?.cancel();
      assert.equal(health.status, 200, `/healthz after ${what}`);
      // Keep live targets: the fuzz may have deleted the seeded triggers.
      if (!(await t.call("GET", `/api/triggers/${ids[0]}`)).status.toString().startsWith("2")) {
        ids.length = 0;
        names.length = 0;
        for await (const e of t.kv.list({ prefix: ["trigger_names"] })) await t.kv.delete(e.key);
        await seed();
        before = await snapshot(t.kv);
      }
    }
  }
  console.log(`fuzz: ${REQUESTS} requests, ${counts["2xx"]} 2xx, ${counts["4xx"]} 4xx`);
  assert.ok(counts["4xx"] > REQUESTS / 2, "most inputs are malformed");

  // Every status a route answered is one its OpenAPI operation describes.
  const doc = (await t.call("GET", "/openapi.json")).body as {
    paths: Record<string, Record<string, { responses: Record<string, unknown> }>>;
  };
  // Fewest parameters first: a literal path (/api/logs/stats) wins over /api/logs/{id}, as in
  // the app's router.
  const params = (tpl: string) => tpl.split("{").length;
  const templates = Object.keys(doc.paths).sort((a, b) => params(a) - params(b)).map((tpl) => ({
    tpl,
    re: new RegExp(`^${tpl.replace(/\{[^}]+\}/g, "[^/]+")}$`),
  }));
  const undocumented: string[] = [];
  let checked = 0;
  for (const key of seen) {
    const [method, path, status] = key.split(" ");
    const match = templates.find((x) => x.re.test(path));
    const op = match && doc.paths[match.tpl][method.toLowerCase()];
    if (!op) continue; // no such operation: not a route (an unknown path or method)
    checked++;
    if (!(status in op.responses) && !("default" in op.responses)) {
      undocumented.push(`${method} ${match.tpl} ${status}`);
    }
  }
  assert.ok(checked > 50, `the fuzz reached the routes (${checked} answers checked)`);
  assert.deepEqual([...new Set(undocumented)].sort(), [], "statuses missing from /openapi.json");
});
