// The UI's pure modules (static/*.js), imported by Deno directly: no browser, no server.
import assert from "node:assert/strict";
import { curlFor, previewSummary, scheduleWords, ulidTime } from "../static/format.js";
import {
  type Definition,
  definitionOf,
  dropErrorsOf,
  formState,
  patchOf,
  touchedErrors,
} from "../static/trigger_model.js";
import { placeErrors, plainMessage } from "../static/errors.js";
import { ApiError, type LogEntry, type Schedule, type Trigger } from "../static/api.js";
import {
  appendOlder,
  filterFromHash,
  hashFor,
  matchesLive,
  NO_FILTER,
  prependLive,
  withoutAged,
} from "../static/log_list.js";
import { createSseParser, type SseEvent } from "../static/sse.js";
import { triggerOf } from "./helpers/ui_fixtures.ts";

/** The definition a form describes; fails the test when the form has local errors. */
function defOf(form: ReturnType<typeof formState>): Definition {
  const built = definitionOf(form);
  assert(built.def, JSON.stringify(built.errors));
  return built.def;
}

Deno.test("scheduleWords() puts every schedule form in words", () => {
  const t = (schedule: Schedule | null, type: Trigger["type"] = "scheduled") =>
    triggerOf({ type, schedule });
  assert.equal(scheduleWords(t({ everySeconds: 10 })), "every 10 s");
  assert.equal(scheduleWords(t({ everySeconds: 300 })), "every 5 min");
  assert.equal(scheduleWords(t({ everySeconds: 7200 })), "every 2 h");
  // The start the server fills in (created + n) is not the person's choice: not shown.
  assert.equal(
    scheduleWords(t({ everySeconds: 60, startAt: "2026-11-29T10:01:00.000Z" })),
    "every minute",
  );
  assert.equal(
    scheduleWords(t({ cron: "0 16 * * *", timezone: "Asia/Kolkata" })),
    "at 16:00 Asia/Kolkata daily",
  );
  assert.equal(scheduleWords(t({ cron: "30 9 * * 1-5" })), "at 09:30 UTC on weekdays");
  assert.equal(scheduleWords(t({ cron: "*/15 * * * *" })), "every 15 min");
  assert.equal(scheduleWords(t({ cron: "*/10 * * * * *" })), "every 10 s");
  assert.equal(scheduleWords(t({ cron: "5 4 * 2 0", timezone: "UTC" })), "cron 5 4 * 2 0 (UTC)");
  assert.equal(scheduleWords(t({ cron: "0 * * * *", maxRuns: 3 })), "hourly at :00, max 3 runs");
  assert.match(scheduleWords(t({ at: "2030-01-01T00:00:00.000Z" })), /^once at /);
  assert.equal(scheduleWords(t(null, "api")), "on API call");
});

Deno.test("patchOf() sends only what the form changed", () => {
  const trigger = triggerOf({
    name: "once",
    schedule: { at: "2020-01-01T00:00:00.123Z" }, // long past: re-sending it would be a 400
    payload: { a: 1 },
    createdAt: "2019-12-31T00:00:00.000Z",
    updatedAt: "2019-12-31T00:00:00.000Z",
  });
  const original = defOf(formState(trigger));
  const renamed = defOf({ ...formState(trigger), name: "twice" });
  assert.deepEqual(patchOf(original, renamed), { name: "twice" });
  const repayload = defOf({ ...formState(trigger), payload: '{ "a": 2 }' });
  assert.deepEqual(patchOf(original, repayload), { payload: { a: 2 } });
  assert.deepEqual(definitionOf({ ...formState(trigger), payload: "{ nope" }).errors, {
    payload: "Not valid JSON: " + (() => {
      try {
        JSON.parse("{ nope");
      } catch (e) {
        return (e as Error).message;
      }
    })(),
  });
});

Deno.test("patchOf() on a new interval adds no start the person never typed", () => {
  // The server stores an everySeconds trigger's implicit first run (updated + n) as startAt.
  const trigger = triggerOf({
    schedule: { everySeconds: 3600, startAt: "2026-11-29T12:00:00.000Z" },
    createdAt: "2026-11-29T10:00:00.000Z",
    updatedAt: "2026-11-29T11:00:00.000Z",
    runCount: 7,
  });
  const form = formState(trigger);
  assert.equal(form.startAt, "");
  const patch = patchOf(defOf(form), defOf({ ...form, everySeconds: "60" }));
  assert.deepEqual(patch, { schedule: { everySeconds: 60 } });
  // An untouched schedule is not sent at all, so the server does not restart it.
  assert.deepEqual(patchOf(defOf(form), defOf({ ...form, misfire: "skip" })), { misfire: "skip" });
});

Deno.test("placeErrors() puts each problem next to the closest field", () => {
  const err = new ApiError({
    status: 400,
    title: "Invalid request",
    errors: [
      { path: "schedule.cron", message: "Expected 5 fields" },
      { path: "webhook.headers.X-A", message: "Must be a string" },
      { path: "", message: 'Unknown key "colour"' },
    ],
  });
  const placed = placeErrors(err, ["name", "schedule", "schedule.cron", "webhook.headers"]);
  assert.deepEqual(placed.fields, {
    "schedule.cron": "Expected 5 fields",
    "webhook.headers": "Must be a string",
  });
  assert.deepEqual(placed.general, ['Unknown key "colour"']);
  const taken = placeErrors(
    new ApiError({ status: 409, title: "Conflict", detail: "Name taken" }),
    [
      "name",
    ],
  );
  assert.deepEqual(taken.fields, { name: "Name taken" });
});

Deno.test("plainMessage() turns validator text into plain words", () => {
  assert.equal(plainMessage("Too small: expected string to have >=1 characters"), "Required");
  assert.equal(plainMessage("Invalid input: expected string, received undefined"), "Required");
  assert.equal(
    plainMessage("Too big: expected string to have <=128 characters"),
    "At most 128 characters",
  );
  assert.equal(plainMessage("Too small: expected number to be >=1"), "Must be at least 1");
  assert.equal(plainMessage("Invalid input: expected number, received string"), "Enter a number");
  assert.equal(
    plainMessage("Invalid input: expected int, received number"),
    "Enter a whole number",
  );
  assert.equal(plainMessage("Invalid ISO datetime"), "Enter a date and time");
  assert.equal(plainMessage('Invalid option: expected one of "a"|"b"'), 'Choose one of "a", "b"');
  assert.equal(plainMessage("Expected 5 or 6 fields"), "Expected 5 or 6 fields");
  const placed = placeErrors(
    new ApiError({
      status: 400,
      title: "Invalid request",
      errors: [{ path: "name", message: "Too small: expected string to have >=1 characters" }],
    }),
    ["name"],
  );
  assert.deepEqual(placed.fields, { name: "Required" });
});

Deno.test("form errors show only for touched inputs and go when the input is edited", () => {
  const fromPreview = { "schedule.at": "Enter a date and time", "schedule": "Bad schedule" };
  // Choosing "Once at a time" touches the kind, not the empty date.
  assert.deepEqual(touchedErrors(fromPreview, new Set(["kind"]), false), {
    schedule: "Bad schedule",
  });
  assert.deepEqual(touchedErrors(fromPreview, new Set(["kind", "at"]), false), fromPreview);
  assert.deepEqual(touchedErrors(fromPreview, new Set(), true), fromPreview);
  const submitted = { name: "Required", "webhook.url": "Enter a full URL", "schedule.cron": "x" };
  assert.deepEqual(dropErrorsOf(submitted, ["name"]), {
    "webhook.url": "Enter a full URL",
    "schedule.cron": "x",
  });
  assert.deepEqual(dropErrorsOf(submitted, ["kind"]), {
    name: "Required",
    "webhook.url": "Enter a full URL",
  });
});

Deno.test("curlFor() builds a copyable call, with a key placeholder when auth is on", () => {
  assert.equal(
    curlFor("http://127.0.0.1:8000", "01JDX", false),
    "curl -s -X POST http://127.0.0.1:8000/api/triggers/01JDX/fire " +
      "-H 'content-type: application/json' -d '{}'",
  );
  assert.match(curlFor("http://h", "01JDX", true), / -H "authorization: Bearer \$TOCK_API_KEY" /);
});

/** A log entry whose id encodes `ms` (the instant state and time filters count from). */
function entryAt(ms: number, over: Partial<LogEntry> = {}): LogEntry {
  const chars = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";
  let time = "";
  for (let v = ms, i = 0; i < 10; i++, v = Math.floor(v / 32)) time = chars[v % 32] + time;
  return {
    id: time +
      crypto.randomUUID().replaceAll("-", "").slice(0, 16).toUpperCase().replace(/[ILOU]/g, "0"),
    triggerId: "T1",
    triggerName: "t1",
    triggerType: "scheduled",
    source: "schedule",
    test: false,
    scheduledFor: null,
    firedAt: new Date(ms).toISOString(),
    lateMs: null,
    catchUp: false,
    payload: null,
    state: "active",
    outcome: "ok",
    delivery: null,
    ...over,
  };
}

Deno.test("ulidTime() reads the instant a ULID was made at", () => {
  const ms = Date.parse("2026-11-29T10:30:00.123Z");
  assert.equal(ulidTime(entryAt(ms).id), ms);
});

Deno.test("prependLive() keeps the list bounded and reads older rows below what it kept", () => {
  const base = Date.parse("2026-11-29T10:00:00.000Z");
  let items: LogEntry[] = [];
  let older: { cursor: string | null; until?: string } | null = { cursor: "C" };
  for (let i = 0; i < 5; i++) ({ items, older } = prependLive(items, entryAt(base + i), older, 3));
  assert.deepEqual(items.map((e) => ulidTime(e.id) - base), [4, 3, 2]);
  assert.deepEqual(older, { cursor: null, until: new Date(base + 3).toISOString() });
  // A repeat of a row shown changes nothing.
  assert.equal(prependLive(items, items[0], older, 3).items, items);
  const more = appendOlder(items, [items[2], entryAt(base + 1)]);
  assert.deepEqual(more.map((e) => ulidTime(e.id) - base), [4, 3, 2, 1]);
});

Deno.test("withoutAged() drops Active rows no newer than the newest archived entry", () => {
  const base = Date.parse("2026-11-29T10:00:00.000Z");
  const rows = [entryAt(base + 30), entryAt(base + 20), entryAt(base + 10)];
  const archived = entryAt(base + 20);
  assert.deepEqual(withoutAged(rows, archived.id), [rows[0]]);
});

Deno.test("log filters survive the URL and decide which live firings are shown", () => {
  const f = {
    ...NO_FILTER,
    tab: "active" as const,
    source: "api",
    since: "2026-11-29T10:00:00.000Z",
  };
  const hash = hashFor(f);
  assert.equal(hash, "#/logs?source=api&since=2026-11-29T10%3A00%3A00.000Z");
  assert.deepEqual(filterFromHash(hash), f);
  assert.equal(hashFor(NO_FILTER), "#/logs");
  assert.deepEqual(filterFromHash("#/logs?tab=bogus&since=never"), NO_FILTER);
  const at = Date.parse("2026-11-29T10:00:01.000Z");
  assert.equal(matchesLive(entryAt(at, { source: "api" }), f), true);
  assert.equal(matchesLive(entryAt(at, { source: "manual" }), f), false);
  assert.equal(matchesLive(entryAt(at - 2000, { source: "api" }), f), false);
  assert.equal(matchesLive(entryAt(at, { source: "api" }), { ...f, tab: "archived" }), false);
});

Deno.test("previewSummary() speaks the list, not the ticking countdowns", () => {
  const occurrences = ["2026-11-29T10:00:00.000Z", "2026-11-29T11:00:00.000Z"];
  const a = previewSummary({ loading: false, occurrences, message: "" });
  assert.match(a, /^Next run .+; 2 occurrences listed$/);
  assert.equal(previewSummary({ loading: true, occurrences, message: "" }), "");
  assert.equal(
    previewSummary({ loading: false, occurrences: [], message: "" }),
    "No further occurrences",
  );
});

Deno.test("createSseParser() splits events across chunks and line endings", () => {
  const seen: SseEvent[] = [];
  const p = createSseParser((e) => seen.push(e));
  p.push(": comment\nevent: fired\nid: 1\nda");
  p.push('ta: {"a":1}\r');
  p.push("\n\r\ndata: x\ndata: y\nretry: 50\n\n");
  assert.deepEqual(seen, [
    { event: "fired", data: '{"a":1}', id: "1" },
    { event: "message", data: "x\ny", id: "1" },
  ]);
  assert.equal(p.retry, 50);
});
