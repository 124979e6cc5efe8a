import assert from "node:assert/strict";
import {
  lastMissed,
  nextOccurrence,
  normalizeSchedule,
  occurrences,
} from "../scheduler/next_occurrence.ts";
import type { Schedule } from "../core/schedule_schemas.ts";

const t = (iso: string) => Date.parse(iso);
const isoAll = (xs: number[]) => xs.map((x) => new Date(x).toISOString());

Deno.test("nextOccurrence() fires a one-time schedule once, strictly after `after`", () => {
  const s: Schedule = { at: "2026-05-01T10:00:00.000Z" };
  assert.equal(nextOccurrence(s, t("2026-05-01T09:59:59.999Z")), t("2026-05-01T10:00:00.000Z"));
  assert.equal(nextOccurrence(s, t("2026-05-01T10:00:00.000Z")), null);
  // After its one run it has no occurrence left, even before its time.
  assert.equal(nextOccurrence(s, 0, 1), null);
});

Deno.test("normalizeSchedule() stores delaySeconds as at and anchors everySeconds", () => {
  const now = t("2026-05-01T10:00:00.000Z");
  assert.deepEqual(normalizeSchedule({ delaySeconds: 2.5 }, now), {
    at: "2026-05-01T10:00:02.500Z",
  });
  assert.deepEqual(normalizeSchedule({ everySeconds: 60 }, now), {
    everySeconds: 60,
    startAt: "2026-05-01T10:01:00.000Z",
  });
  assert.deepEqual(normalizeSchedule({ cron: " 0  16 * * * " }, now), {
    cron: "0 16 * * *",
    timezone: "UTC",
  });
});

Deno.test("nextOccurrence() for everySeconds starts at startAt itself and never drifts", () => {
  const s: Schedule = { everySeconds: 10, startAt: "2026-05-01T10:00:00.000Z" };
  assert.equal(nextOccurrence(s, 0), t("2026-05-01T10:00:00.000Z"));
  assert.equal(nextOccurrence(s, t("2026-05-01T09:59:59.999Z")), t("2026-05-01T10:00:00.000Z"));
  assert.equal(nextOccurrence(s, t("2026-05-01T10:00:00.000Z")), t("2026-05-01T10:00:10.000Z"));
  // A late claim (after = when it ran) still lands on the anchor's grid.
  assert.equal(nextOccurrence(s, t("2026-05-01T10:00:13.777Z")), t("2026-05-01T10:00:20.000Z"));
  const fractional: Schedule = { everySeconds: 1.5, startAt: "2026-05-01T10:00:00.000Z" };
  assert.deepEqual(isoAll(occurrences(fractional, 0, 3)), [
    "2026-05-01T10:00:00.000Z",
    "2026-05-01T10:00:01.500Z",
    "2026-05-01T10:00:03.000Z",
  ]);
});

Deno.test("nextOccurrence() for cron takes the first match at or after startAt", () => {
  const onMatch: Schedule = {
    cron: "0 10 * * *",
    timezone: "UTC",
    startAt: "2026-05-01T10:00:00.000Z",
  };
  assert.equal(nextOccurrence(onMatch, 0), t("2026-05-01T10:00:00.000Z"));
  const between: Schedule = {
    cron: "0 10 * * *",
    timezone: "UTC",
    startAt: "2026-05-01T10:00:00.001Z",
  };
  assert.equal(nextOccurrence(between, 0), t("2026-05-02T10:00:00.000Z"));
  // Once past startAt, it is just the next match.
  assert.equal(
    nextOccurrence(onMatch, t("2026-05-03T11:00:00.000Z")),
    t("2026-05-04T10:00:00.000Z"),
  );
});

Deno.test("nextOccurrence() runs a cron in Asia/Kolkata at its local time", () => {
  const s: Schedule = { cron: "0 16 * * *", timezone: "Asia/Kolkata" };
  // 16:00 IST is 10:30 UTC (UTC+5:30, no DST).
  assert.deepEqual(isoAll(occurrences(s, t("2026-11-29T00:00:00.000Z"), 2)), [
    "2026-11-29T10:30:00.000Z",
    "2026-11-30T10:30:00.000Z",
  ]);
  assert.equal(nextOccurrence(s, t("2026-11-29T10:30:00.000Z")), t("2026-11-30T10:30:00.000Z"));
});

Deno.test("nextOccurrence() fires a time in the spring-forward gap at the first instant after it", () => {
  // Europe/Berlin 2026-03-29: 02:00 CET jumps to 03:00 CEST (01:00 UTC); 02:30 does not exist.
  const s: Schedule = { cron: "30 2 * * *", timezone: "Europe/Berlin" };
  assert.deepEqual(isoAll(occurrences(s, t("2026-03-28T12:00:00.000Z"), 3)), [
    "2026-03-29T01:00:00.000Z", // 03:00 CEST
    "2026-03-30T00:30:00.000Z", // 02:30 CEST
    "2026-03-31T00:30:00.000Z",
  ]);
});

Deno.test("nextOccurrence() fires a fixed time repeated by the fall-back once, the first time", () => {
  // Europe/Berlin 2026-10-25: 03:00 CEST falls back to 02:00 CET (01:00 UTC); 02:30 happens twice.
  const s: Schedule = { cron: "30 2 * * *", timezone: "Europe/Berlin" };
  assert.deepEqual(isoAll(occurrences(s, t("2026-10-24T12:00:00.000Z"), 2)), [
    "2026-10-25T00:30:00.000Z", // 02:30 CEST, the first of the two
    "2026-10-26T01:30:00.000Z", // 02:30 CET the next day
  ]);
});

Deno.test("nextOccurrence() fires a wildcard-hour cron at every real instant on a fall-back day", () => {
  const s: Schedule = { cron: "*/30 * * * *", timezone: "Europe/Berlin" };
  assert.deepEqual(isoAll(occurrences(s, t("2026-10-24T23:45:00.000Z"), 6)), [
    "2026-10-25T00:00:00.000Z", // 02:00 CEST
    "2026-10-25T00:30:00.000Z", // 02:30 CEST
    "2026-10-25T01:00:00.000Z", // 02:00 CET
    "2026-10-25T01:30:00.000Z", // 02:30 CET
    "2026-10-25T02:00:00.000Z", // 03:00 CET
    "2026-10-25T02:30:00.000Z",
  ]);
  // On the spring-forward day the missing hour simply has no instants.
  assert.deepEqual(isoAll(occurrences(s, t("2026-03-29T00:15:00.000Z"), 3)), [
    "2026-03-29T00:30:00.000Z", // 01:30 CET
    "2026-03-29T01:00:00.000Z", // 03:00 CEST
    "2026-03-29T01:30:00.000Z", // 03:30 CEST
  ]);
});

Deno.test("nextOccurrence() reads a 6-field cron with seconds first", () => {
  const s: Schedule = { cron: "*/15 * * * * *", timezone: "UTC" };
  assert.deepEqual(isoAll(occurrences(s, t("2026-05-01T10:00:00.000Z"), 3)), [
    "2026-05-01T10:00:15.000Z",
    "2026-05-01T10:00:30.000Z",
    "2026-05-01T10:00:45.000Z",
  ]);
  const five: Schedule = { cron: "5 10 * * *", timezone: "UTC" };
  assert.equal(nextOccurrence(five, t("2026-05-01T00:00:00.000Z")), t("2026-05-01T10:05:00.000Z"));
  const six: Schedule = { cron: "5 10 * * * *", timezone: "UTC" };
  assert.equal(nextOccurrence(six, t("2026-05-01T00:00:00.000Z")), t("2026-05-01T00:10:05.000Z"));
});

Deno.test("nextOccurrence() stops after maxRuns firings", () => {
  const s: Schedule = { everySeconds: 5, startAt: "2026-05-01T10:00:00.000Z", maxRuns: 3 };
  assert.deepEqual(isoAll(occurrences(s, 0, 10)), [
    "2026-05-01T10:00:00.000Z",
    "2026-05-01T10:00:05.000Z",
    "2026-05-01T10:00:10.000Z",
  ]);
  assert.equal(nextOccurrence(s, t("2026-05-01T10:00:10.000Z"), 3), null);
  assert.equal(nextOccurrence(s, t("2026-05-01T10:00:05.000Z"), 2), t("2026-05-01T10:00:10.000Z"));
  const cron: Schedule = { cron: "0 * * * *", timezone: "UTC", maxRuns: 2 };
  assert.equal(occurrences(cron, t("2026-05-01T00:00:00.000Z"), 10).length, 2);
});

Deno.test("nextOccurrence() includes an occurrence exactly at endAt and none after", () => {
  const s: Schedule = {
    everySeconds: 5,
    startAt: "2026-05-01T10:00:00.000Z",
    endAt: "2026-05-01T10:00:10.000Z",
  };
  assert.deepEqual(isoAll(occurrences(s, 0, 10)), [
    "2026-05-01T10:00:00.000Z",
    "2026-05-01T10:00:05.000Z",
    "2026-05-01T10:00:10.000Z",
  ]);
  const cron: Schedule = { cron: "0 * * * *", timezone: "UTC", endAt: "2026-05-01T02:30:00.000Z" };
  assert.deepEqual(isoAll(occurrences(cron, t("2026-05-01T00:00:00.000Z"), 10)), [
    "2026-05-01T01:00:00.000Z",
    "2026-05-01T02:00:00.000Z",
  ]);
});

Deno.test("lastMissed() finds the most recent occurrence at or before now", () => {
  const every: Schedule = { everySeconds: 10, startAt: "2026-05-01T10:00:00.000Z", maxRuns: 2 };
  // maxRuns counts firings, not missed occurrences: the catch-up is still the latest one.
  assert.equal(
    lastMissed(every, t("2026-05-01T10:00:00.000Z"), t("2026-05-01T10:01:05.000Z")),
    t("2026-05-01T10:01:00.000Z"),
  );
  const cron: Schedule = { cron: "* * * * * *", timezone: "UTC" };
  // A per-second cron missed for a day answers at once (probing, not walking 86,400 steps).
  const started = performance.now();
  assert.equal(
    lastMissed(cron, t("2026-05-01T00:00:00.000Z"), t("2026-05-02T00:00:00.500Z")),
    t("2026-05-02T00:00:00.000Z"),
  );
  assert.ok(performance.now() - started < 500);
  const daily: Schedule = { cron: "0 3 * * *", timezone: "UTC", endAt: "2026-05-05T00:00:00.000Z" };
  assert.equal(
    lastMissed(daily, t("2026-05-01T03:00:00.000Z"), t("2026-05-09T12:00:00.000Z")),
    t("2026-05-04T03:00:00.000Z"),
  );
  assert.equal(
    lastMissed(daily, t("2026-05-01T03:00:00.000Z"), t("2026-05-01T12:00:00.000Z")),
    t("2026-05-01T03:00:00.000Z"),
  );
  const once: Schedule = { at: "2026-05-01T03:00:00.000Z" };
  assert.equal(
    lastMissed(once, t("2026-05-01T03:00:00.000Z"), t("2026-05-09T00:00:00.000Z")),
    t("2026-05-01T03:00:00.000Z"),
  );
});
