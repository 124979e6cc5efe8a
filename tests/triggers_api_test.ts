import assert from "node:assert/strict";
import { testApp, uniqueName } from "./helpers/app.ts";

/** Every key in the store, to prove a rejected request changed nothing. */
async function snapshot(kv: Deno.Kv): Promise<string> {
  const out: string[] = [];
  for await (const e of kv.list({ prefix: [] })) out.push(JSON.stringify([e.key, e.versionstamp]));
  return out.join("\n");
}

const future = (ms: number) => new Date(Date.now() + ms).toISOString();

Deno.test("POST /api/triggers stores each schedule form normalised", async () => {
  await using t = await testApp();
  const before = Date.now();
  const delay = await t.call("POST", "/api/triggers", {
    name: "  delayed  ",
    schedule: { delaySeconds: 30 },
  });
  assert.equal(delay.status, 201);
  assert.equal(delay.body.name, "delayed", "name is trimmed");
  assert.equal(delay.body.type, "scheduled");
  const delayAt = Date.parse(delay.body.schedule.at);
  assert.ok(
    delayAt >= before + 30_000 && delayAt <= Date.now() + 30_000,
    "delaySeconds is stored as at",
  );
  assert.deepEqual(Object.keys(delay.body.schedule), ["at"]);
  assert.equal(delay.body.nextRunAt, delay.body.schedule.at);
  assert.equal(delay.body.payload, null);
  assert.equal(delay.body.payloadSchema, null);
  assert.equal(delay.body.webhook, null);
  assert.equal(delay.body.misfire, "fire_once");
  assert.equal(delay.body.status, "active");
  assert.equal(delay.body.runCount, 0);
  assert.equal(delay.body.lastRunAt, null);
  assert.equal(delay.body.version, 1);
  assert.match(delay.body.id, /^[0-9A-HJKMNP-TV-Z]{26}$/);

  const every = await t.call("POST", "/api/triggers", {
    name: "every",
    schedule: { everySeconds: 10 },
  });
  assert.equal(every.status, 201);
  assert.equal(every.body.schedule.everySeconds, 10);
  assert.equal(every.body.nextRunAt, every.body.schedule.startAt, "first run at now + n");
  const start = "2030-01-01T00:00:00.000Z";
  const anchored = await t.call("POST", "/api/triggers", {
    name: "anchored",
    schedule: { everySeconds: 60, startAt: "2030-01-01T05:30:00+05:30", maxRuns: 3 },
  });
  assert.deepEqual(anchored.body.schedule, { everySeconds: 60, startAt: start, maxRuns: 3 });
  assert.equal(anchored.body.nextRunAt, start, "everySeconds starts at startAt itself");

  const cron = await t.call("POST", "/api/triggers", {
    name: "kolkata",
    schedule: { cron: "0 16 * * *", timezone: "Asia/Kolkata" },
    payload: { report: "nightly" },
  });
  assert.equal(cron.status, 201);
  assert.deepEqual(cron.body.schedule, { cron: "0 16 * * *", timezone: "Asia/Kolkata" });
  assert.match(cron.body.nextRunAt, /T10:30:00\.000Z$/, "16:00 IST is 10:30 UTC");
  assert.deepEqual(cron.body.payload, { report: "nightly" });

  const utc = await t.call("POST", "/api/triggers", {
    name: "utc",
    schedule: { cron: "*/5 * * * * *" },
  });
  assert.equal(utc.body.schedule.timezone, "UTC", "timezone defaults to UTC");
  assert.equal(Date.parse(utc.body.nextRunAt) % 5000, 0, "6-field cron has seconds first");

  const at = future(3600_000);
  const once = await t.call("POST", "/api/triggers", { name: "once", schedule: { at } });
  assert.equal(once.body.schedule.at, at);

  const api = await t.call("POST", "/api/triggers", {
    name: "hook",
    type: "api",
    webhook: { url: "http://127.0.0.1:9/x" },
  });
  assert.equal(api.status, 201);
  assert.equal(api.body.schedule, null);
  assert.equal(api.body.nextRunAt, null);
  assert.deepEqual(api.body.webhook, {
    url: "http://127.0.0.1:9/x",
    method: "POST",
    headers: {},
    timeoutMs: 10000,
    retries: 3,
    backoffMs: 1000,
  });
});

Deno.test("POST /api/triggers rejects invalid definitions with field paths and stores nothing", async () => {
  await using t = await testApp();
  await t.call("POST", "/api/triggers", { name: "taken", schedule: { everySeconds: 5 } });
  const before = await snapshot(t.kv);
  const cases: [unknown, number, string | null][] = [
    [{ name: "x", schedule: { cron: "* * *" } }, 400, "schedule.cron"],
    [{ name: "x", schedule: { cron: "* * * * * * *" } }, 400, "schedule.cron"],
    [{ name: "x", schedule: { cron: "@daily" } }, 400, "schedule.cron"],
    [{ name: "x", schedule: { cron: "61 * * * *" } }, 400, "schedule.cron"],
    [
      { name: "x", schedule: { cron: "0 * * * *", timezone: "Mars/Olympus" } },
      400,
      "schedule.timezone",
    ],
    [{ name: "x", schedule: { everySeconds: 5, extra: 1 } }, 400, "schedule.extra"],
    [{ name: "x", schedule: { everySeconds: 0.5 } }, 400, "schedule.everySeconds"],
    [{ name: "x", schedule: { everySeconds: "5" } }, 400, "schedule.everySeconds"],
    [{ name: "x", schedule: { delaySeconds: 0 } }, 400, "schedule.delaySeconds"],
    [{ name: "x", schedule: { at: "tomorrow" } }, 400, "schedule.at"],
    [{ name: "x", schedule: { at: "2020-01-01T00:00:00Z" } }, 400, "schedule.at"],
    [{ name: "x", schedule: { at: future(60_000), everySeconds: 5 } }, 400, "schedule"],
    [{ name: "x", schedule: {} }, 400, "schedule"],
    [{ name: "x", schedule: { everySeconds: 5, maxRuns: 0 } }, 400, "schedule.maxRuns"],
    [{ name: "x", schedule: { everySeconds: 5, endAt: "2020-01-01T00:00:00Z" } }, 400, "schedule"],
    [{ name: "x", type: "scheduled" }, 400, "schedule"],
    [{ name: "x", type: "api", schedule: { everySeconds: 5 } }, 400, "schedule"],
    [
      { name: "x", schedule: { everySeconds: 5 }, payloadSchema: { type: "object" } },
      400,
      "payloadSchema",
    ],
    [{ name: "x", type: "api", payloadSchema: { type: "nonsense" } }, 400, "payloadSchema"],
    [{ name: "x", type: "api", webhook: { url: "ftp://example.com" } }, 400, "webhook.url"],
    [{ name: "x", type: "api", webhook: { url: "http://x", retries: -1 } }, 400, "webhook.retries"],
    [{ name: "x", type: "api", misfire: "sometimes" }, 400, "misfire"],
    [{ name: "x", type: "api", colour: "red" }, 400, "colour"],
    [{ name: "   ", type: "api" }, 400, "name"],
    [{ name: "a".repeat(129), type: "api" }, 400, "name"],
    [{ name: "bad\u0007name", type: "api" }, 400, "name"],
    [{ name: 42, type: "api" }, 400, "name"],
    [{ type: "api" }, 400, "name"],
    [{ name: "taken", type: "api" }, 409, null],
    [{ name: " taken ", type: "api" }, 409, null],
    [[1, 2], 400, ""],
  ];
  for (const [body, status, path] of cases) {
    const res = await t.call("POST", "/api/triggers", body);
    assert.equal(res.status, status, `${JSON.stringify(body)} -> ${JSON.stringify(res.body)}`);
    assert.equal(res.headers.get("content-type"), "application/problem+json");
    assert.equal(res.body.status, status);
    assert.equal(typeof res.body.title, "string");
    assert.equal(typeof res.body.detail, "string");
    if (path !== null) {
      const paths = res.body.errors.map((e: { path: string }) => e.path);
      assert.ok(
        paths.includes(path),
        `${JSON.stringify(body)}: expected ${path} in ${JSON.stringify(res.body.errors)}`,
      );
    }
  }
  assert.equal(await snapshot(t.kv), before, "rejected requests changed the store");
});

Deno.test("POST /api/triggers answers malformed, oversize and non-UTF-8 bodies clearly", async () => {
  await using t = await testApp({ config: { maxPayloadBytes: 1024 } });
  const before = await snapshot(t.kv);
  const malformed = await t.call("POST", "/api/triggers", '{"name": "x",');
  assert.equal(malformed.status, 400);
  assert.match(malformed.body.detail, /not valid JSON/);
  const empty = await t.call("POST", "/api/triggers", "");
  assert.equal(empty.status, 400);
  const big = { name: "big", type: "api", payload: "x".repeat(2000) };
  const tooLarge = await t.call("POST", "/api/triggers", big);
  assert.equal(tooLarge.status, 413);
  assert.equal(tooLarge.body.status, 413);
  // Chunked, without Content-Length: the limit still holds.
  const chunks = new TextEncoder().encode(JSON.stringify(big));
  const stream = new ReadableStream({
    start(c) {
      for (let i = 0; i < chunks.length; i += 100) c.enqueue(chunks.slice(i, i + 100));
      c.close();
    },
  });
  const chunked = await t.app.request("/api/triggers", { method: "POST", body: stream });
  assert.equal(chunked.status, 413);
  const latin1 = new Uint8Array([
    ...new TextEncoder().encode('{"name":"caf'),
    0xe9,
    ...new TextEncoder().encode('","type":"api"}'),
  ]);
  const badUtf8 = await t.call("POST", "/api/triggers", latin1);
  assert.equal(badUtf8.status, 400);
  assert.match(badUtf8.body.detail, /UTF-8/);
  assert.equal(await snapshot(t.kv), before);
});

Deno.test("POST /api/triggers: 200 concurrent creates of one name give exactly one 201", async () => {
  await using t = await testApp();
  const name = uniqueName("race");
  const results = await Promise.all(
    Array.from(
      { length: 200 },
      (_, i) => t.call("POST", "/api/triggers", { name, type: "api", payload: { i } }),
    ),
  );
  const statuses = results.map((r) => r.status);
  assert.equal(statuses.filter((s) => s === 201).length, 1);
  assert.equal(statuses.filter((s) => s === 409).length, 199);
  const list = await t.call("GET", "/api/triggers?limit=500");
  assert.equal(list.body.items.filter((x: { name: string }) => x.name === name).length, 1);
  let count = 0;
  for await (const _ of t.kv.list({ prefix: ["triggers"] })) count++;
  assert.equal(count, 1);
});

Deno.test("GET /api/triggers pages with a cursor and filters by type and status", async () => {
  await using t = await testApp();
  const ids: string[] = [];
  for (let i = 0; i < 7; i++) {
    const body = i % 2 === 0
      ? { name: `s${i}`, schedule: { everySeconds: 60 } }
      : { name: `a${i}`, type: "api" };
    ids.push((await t.call("POST", "/api/triggers", body)).body.id);
  }
  await t.call("POST", `/api/triggers/${ids[0]}/pause`);
  const seen: string[] = [];
  let cursor: string | null = null;
  let pages = 0;
  do {
    const res: { status: number; body: { items: { id: string }[]; nextCursor: string | null } } =
      await t.call(
        "GET",
        `/api/triggers?limit=3${cursor ? `&cursor=${cursor}` : ""}`,
      );
    assert.equal(res.status, 200);
    seen.push(...res.body.items.map((x) => x.id));
    cursor = res.body.nextCursor;
    pages++;
  } while (cursor);
  assert.deepEqual(seen, ids, "every trigger once, in creation order");
  assert.equal(pages, 3);
  const apis = await t.call("GET", "/api/triggers?type=api");
  assert.deepEqual(apis.body.items.map((x: { name: string }) => x.name), ["a1", "a3", "a5"]);
  const paused = await t.call("GET", "/api/triggers?status=paused");
  assert.deepEqual(paused.body.items.map((x: { id: string }) => x.id), [ids[0]]);
  assert.equal(paused.body.nextCursor, null);
  for (
    const q of [
      "type=bogus",
      "status=bogus",
      "limit=0",
      "limit=501",
      "limit=ten",
      "cursor=nope",
      "colour=red",
    ]
  ) {
    const res = await t.call("GET", `/api/triggers?${q}`);
    assert.equal(res.status, 400, q);
  }
});

Deno.test("GET, PATCH, DELETE and actions answer 404 for unknown ids", async () => {
  await using t = await testApp();
  const missing = "01JDX0000000000000000000AA";
  for (
    const [method, path, body] of [
      ["GET", `/api/triggers/${missing}`],
      ["GET", "/api/triggers/not-an-id"],
      ["PATCH", `/api/triggers/${missing}`, { name: "x" }],
      ["DELETE", `/api/triggers/${missing}`],
      ["POST", `/api/triggers/${missing}/pause`],
      ["POST", `/api/triggers/${missing}/resume`],
      ["POST", `/api/triggers/${missing}/fire`],
      ["GET", `/api/triggers/${missing}/preview`],
      ["GET", `/api/logs/${missing}`],
    ] as [string, string, unknown?][]
  ) {
    const res = await t.call(method, path, body);
    assert.equal(res.status, 404, `${method} ${path}`);
    assert.equal(res.headers.get("content-type"), "application/problem+json");
    assert.equal(res.body.title, "Not found");
  }
});

Deno.test("PATCH /api/triggers/:id changes the definition and reschedules at once", async () => {
  await using t = await testApp();
  const created =
    (await t.call("POST", "/api/triggers", { name: "p", schedule: { everySeconds: 3600 } })).body;
  await t.call("POST", "/api/triggers", { name: "other", type: "api" });
  const renamed = await t.call("PATCH", `/api/triggers/${created.id}`, {
    name: "p2",
    payload: { v: 2 },
  });
  assert.equal(renamed.status, 200);
  assert.equal(renamed.body.name, "p2");
  assert.deepEqual(renamed.body.payload, { v: 2 });
  assert.equal(renamed.body.version, 2);
  assert.equal(renamed.body.nextRunAt, created.nextRunAt, "a rename keeps the schedule");
  assert.equal(
    (await t.call("POST", "/api/triggers", { name: "p", type: "api" })).status,
    201,
    "old name is free",
  );
  const clash = await t.call("PATCH", `/api/triggers/${created.id}`, { name: "other" });
  assert.equal(clash.status, 409);
  const at = future(120_000);
  const moved = await t.call("PATCH", `/api/triggers/${created.id}`, { schedule: { at } });
  assert.equal(moved.body.nextRunAt, at);
  assert.equal(moved.body.version, 3);
  const due: unknown[] = [];
  for await (const e of t.kv.list({ prefix: ["due"] })) due.push(e.key);
  assert.deepEqual(
    due,
    [["due", Date.parse(at), created.id]],
    "exactly one due entry, at the new time",
  );
  const bad = await t.call("PATCH", `/api/triggers/${created.id}`, { schedule: { cron: "nope" } });
  assert.equal(bad.status, 400);
  assert.equal(bad.body.errors[0].path, "schedule.cron");
  const unknown = await t.call("PATCH", `/api/triggers/${created.id}`, { colour: "red" });
  assert.equal(unknown.status, 400);
  assert.equal(
    (await t.call("GET", `/api/triggers/${created.id}`)).body.version,
    3,
    "rejected patches change nothing",
  );
  const toApi = await t.call("PATCH", `/api/triggers/${created.id}`, { type: "api" });
  assert.equal(toApi.body.schedule, null);
  assert.equal(toApi.body.nextRunAt, null);
});

Deno.test("pause, resume and delete keep the due index in step", async () => {
  await using t = await testApp();
  const { id } =
    (await t.call("POST", "/api/triggers", { name: "pr", schedule: { everySeconds: 60 } })).body;
  const dueCount = async () => {
    let n = 0;
    for await (const _ of t.kv.list({ prefix: ["due"] })) n++;
    return n;
  };
  assert.equal(await dueCount(), 1);
  const paused = await t.call("POST", `/api/triggers/${id}/pause`);
  assert.equal(paused.body.status, "paused");
  assert.equal(paused.body.version, 2);
  assert.equal(await dueCount(), 0);
  assert.equal(
    (await t.call("POST", `/api/triggers/${id}/pause`)).body.version,
    2,
    "pausing twice is a no-op",
  );
  const resumed = await t.call("POST", `/api/triggers/${id}/resume`);
  assert.equal(resumed.body.status, "active");
  assert.equal(resumed.body.version, 3);
  assert.equal(await dueCount(), 1);
  assert.equal((await t.call("DELETE", `/api/triggers/${id}`)).status, 204);
  assert.equal(await dueCount(), 0);
  assert.equal((await t.call("GET", `/api/triggers/${id}`)).status, 404);
  assert.equal((await t.call("DELETE", `/api/triggers/${id}`)).status, 404);
});

Deno.test("POST /api/triggers/:id/fire logs before answering 202", async () => {
  await using t = await testApp();
  const api =
    (await t.call("POST", "/api/triggers", { name: "api1", type: "api", payload: { d: 1 } })).body;
  const sched =
    (await t.call("POST", "/api/triggers", { name: "s1", schedule: { everySeconds: 600 } })).body;
  const withBody = await t.call("POST", `/api/triggers/${api.id}/fire`, { order: 7 });
  assert.equal(withBody.status, 202);
  assert.equal(withBody.body.source, "api");
  assert.deepEqual(withBody.body.payload, { order: 7 });
  assert.equal(withBody.body.scheduledFor, null);
  assert.equal(withBody.body.lateMs, null);
  assert.equal(withBody.body.state, "active");
  assert.equal(withBody.body.outcome, "ok");
  const defaults = await t.call("POST", `/api/triggers/${api.id}/fire`);
  assert.deepEqual(defaults.body.payload, { d: 1 }, "no body fires the default payload");
  const manual = await t.call("POST", `/api/triggers/${sched.id}/fire`);
  assert.equal(manual.body.source, "manual");
  const stored = await t.call("GET", `/api/logs/${withBody.body.id}`);
  assert.deepEqual(stored.body, withBody.body);
  const view = await t.call("GET", `/api/triggers/${api.id}`);
  assert.equal(view.body.runCount, 2);
  assert.equal(view.body.lastRunAt, defaults.body.firedAt);
  const logs = await t.call("GET", "/api/logs");
  assert.deepEqual(logs.body.items.map((l: { id: string }) => l.id), [
    manual.body.id,
    defaults.body.id,
    withBody.body.id,
  ]);
  const bad = await t.call("POST", `/api/triggers/${api.id}/fire`, "{oops");
  assert.equal(bad.status, 400);
});

Deno.test("GET /api/triggers/:id/preview lists the next occurrences", async () => {
  await using t = await testApp();
  const startAt = "2031-03-01T00:00:00.000Z";
  const { id } = (await t.call("POST", "/api/triggers", {
    name: "pv",
    schedule: { everySeconds: 90, startAt, maxRuns: 4 },
  })).body;
  const five = await t.call("GET", `/api/triggers/${id}/preview`);
  assert.deepEqual(five.body.occurrences, [
    "2031-03-01T00:00:00.000Z",
    "2031-03-01T00:01:30.000Z",
    "2031-03-01T00:03:00.000Z",
    "2031-03-01T00:04:30.000Z",
  ], "maxRuns bounds the preview");
  const two = await t.call("GET", `/api/triggers/${id}/preview?count=2`);
  assert.equal(two.body.occurrences.length, 2);
  for (const q of ["count=0", "count=101", "count=x"]) {
    assert.equal((await t.call("GET", `/api/triggers/${id}/preview?${q}`)).status, 400, q);
  }
});

Deno.test("POST /api/test fires once, marked test, and saves no trigger", async () => {
  await using t = await testApp();
  const res = await t.call("POST", "/api/test", {
    name: "try",
    schedule: { cron: "0 9 * * 1", timezone: "Europe/Berlin" },
    payload: { hello: "world" },
  });
  assert.equal(res.status, 200);
  assert.equal(res.body.log.test, true);
  assert.equal(res.body.log.source, "test");
  assert.equal(res.body.log.triggerId, null);
  assert.deepEqual(res.body.log.payload, { hello: "world" });
  assert.equal(res.body.occurrences.length, 5);
  for (const o of res.body.occurrences) assert.equal(new Date(o).getUTCDay(), 1);
  assert.equal((await t.call("GET", "/api/triggers")).body.items.length, 0);
  const api = await t.call("POST", "/api/test", { type: "api", payload: 1 });
  assert.deepEqual(api.body.occurrences, []);
  const bad = await t.call("POST", "/api/test", { schedule: { cron: "x" } });
  assert.equal(bad.status, 400);
  assert.equal(bad.body.errors[0].path, "schedule.cron");
});

Deno.test("unknown routes answer 404 problem+json", async () => {
  await using t = await testApp();
  const res = await t.call("GET", "/api/nothing");
  assert.equal(res.status, 404);
  assert.equal(res.headers.get("content-type"), "application/problem+json");
});

Deno.test("GET /api/triggers with a rare filter reads a bounded slice per page and still finds all", async () => {
  await using t = await testApp();
  const { insertTrigger, LIST_SCAN_BUDGET } = await import("../db/triggers.ts");
  const { ulid } = await import("../core/ulid.ts");
  const total = LIST_SCAN_BUDGET + 150;
  const pausedAt = new Set([10, LIST_SCAN_BUDGET + 20, LIST_SCAN_BUDGET + 140]);
  const { buildDefinition, newTriggerRecord } = await import("../scheduler/definition.ts");
  const now = Date.now();
  const ids: string[] = [];
  for (let i = 0; i < total; i++) ids.push(ulid(Date.now()));
  for (let i = 0; i < total; i += 100) {
    await Promise.all(
      ids.slice(i, i + 100).map((id, j) =>
        insertTrigger(
          t.kv,
          newTriggerRecord(
            buildDefinition({ name: `bulk-${i + j}`, type: "api" }, now, null),
            now,
            {
              id,
              status: pausedAt.has(i + j) ? "paused" : "active",
            },
          ),
        )
      ),
    );
  }
  const found: string[] = [];
  const pageSizes: number[] = [];
  let cursor: string | null = null;
  do {
    const res: { status: number; body: { items: { name: string }[]; nextCursor: string | null } } =
      await t.call(
        "GET",
        `/api/triggers?status=paused&limit=50${cursor ? `&cursor=${cursor}` : ""}`,
      );
    assert.equal(res.status, 200);
    found.push(...res.body.items.map((x) => x.name));
    pageSizes.push(res.body.items.length);
    cursor = res.body.nextCursor;
  } while (cursor);
  assert.deepEqual(found, [...pausedAt].map((i) => `bulk-${i}`));
  assert.deepEqual(pageSizes, [1, 2], "the first page stops at the scan budget with a cursor");
});

Deno.test("updateTrigger() retries, not 409s, when a concurrent change to the same trigger wins", async () => {
  await using t = await testApp();
  const { updateTrigger } = await import("../db/triggers.ts");
  const { keys } = await import("../db/keys.ts");
  const { id } =
    (await t.call("POST", "/api/triggers", { name: "busy", schedule: { everySeconds: 60 } })).body;
  let interfered = false;
  const rec = await updateTrigger(t.kv, id, (cur) => {
    if (!interfered) {
      // Between this read and its commit, something else (a claim, say) changes the record.
      interfered = true;
      void t.kv.set(keys.trigger(id), { ...cur, scheduledRuns: cur.scheduledRuns + 1 });
    }
    return { ...cur, payload: { edited: true } };
  });
  assert.deepEqual(rec.payload, { edited: true });
  assert.equal(rec.scheduledRuns, 1, "the second attempt started from the changed record");
  const paused = await t.call("POST", `/api/triggers/${id}/pause`);
  assert.equal(paused.status, 200);
});
