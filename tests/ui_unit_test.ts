// The UI's pure modules (static/*.js), imported by Deno directly: no browser, no server.
import assert from "node:assert/strict";
import { scheduleWords } from "../static/format.js";
import { definitionOf, formState, patchOf } from "../static/trigger_model.js";
import { placeErrors } from "../static/errors.js";
import { ApiError } from "../static/api.js";

Deno.test("scheduleWords() puts every schedule form in words", () => {
  const t = (schedule: unknown, type = "scheduled") => ({
    type,
    schedule,
    createdAt: "2026-11-29T10:00:00.000Z",
    updatedAt: "2026-11-29T10:00:00.000Z",
  });
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
  const trigger = {
    id: "01J",
    name: "once",
    type: "scheduled",
    schedule: { at: "2020-01-01T00:00:00.123Z" }, // long past: re-sending it would be a 400
    payload: { a: 1 },
    payloadSchema: null,
    webhook: null,
    misfire: "fire_once",
    createdAt: "2019-12-31T00:00:00.000Z",
    updatedAt: "2019-12-31T00:00:00.000Z",
  };
  const original = definitionOf(formState(trigger)).def;
  const renamed = definitionOf({ ...formState(trigger), name: "twice" }).def;
  assert.deepEqual(patchOf(original, renamed), { name: "twice" });
  const repayload = definitionOf({ ...formState(trigger), payload: '{ "a": 2 }' }).def;
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
