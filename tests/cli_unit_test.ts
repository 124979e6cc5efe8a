/**
 * The CLI's pure parts: the apply plan, trigger file validation, secrets in exported files,
 * tables. No server.
 */
import assert from "node:assert/strict";
import { planApply } from "../cli/plan.ts";
import {
  parseTriggerFile,
  REDACTED,
  redactSecrets,
  restoreSecrets,
  SpecError,
  type TriggerSpec,
} from "../cli/spec.ts";
import { table } from "../cli/table.ts";
import type { Trigger } from "../core/schemas.ts";
import { WEBHOOK } from "./helpers/cli.ts";

function stored(over: Partial<Trigger> & { name: string }): Trigger {
  return {
    id: `01JDX${over.name.toUpperCase().padEnd(21, "0").slice(0, 21)}`,
    type: "scheduled",
    schedule: { cron: "0 3 * * *", timezone: "UTC" },
    payload: null,
    payloadSchema: null,
    webhook: null,
    misfire: "fire_once",
    overlap: "allow",
    tags: [],
    status: "active",
    nextRunAt: null,
    lastRunAt: null,
    runCount: 0,
    createdAt: "2026-11-29T10:00:00.000Z",
    updatedAt: "2026-11-29T10:00:00.000Z",
    version: 1,
    pausedReason: null,
    pausedAt: null,
    pausedUntil: null,
    ...over,
  };
}

Deno.test("planApply() counts stored normal forms as no change", () => {
  const desired: TriggerSpec[] = [
    { name: "delay", schedule: { delaySeconds: 30 } },
    { name: "every", schedule: { everySeconds: 60 } },
    { name: "cron", schedule: { cron: " 0  3 * * * " }, payload: { b: 1, a: [1, 2] } },
    {
      name: "hook",
      type: "api",
      webhook: WEBHOOK,
    },
    { name: "at", schedule: { at: "2030-01-01T01:00:00+01:00" }, status: "active" },
  ];
  const current = [
    stored({ name: "delay", schedule: { at: "2026-11-29T10:00:30.000Z" } }),
    stored({ name: "every", schedule: { everySeconds: 60, startAt: "2026-11-29T10:01:00.000Z" } }),
    stored({ name: "cron", payload: { a: [1, 2], b: 1 } }),
    stored({
      name: "hook",
      type: "api",
      schedule: null,
      webhook: WEBHOOK,
    }),
    stored({ name: "at", schedule: { at: "2030-01-01T00:00:00.000Z" } }),
  ];
  const plan = planApply(desired, current, { prune: false });
  assert.deepEqual(plan.map((c) => [c.action, c.name]), [
    ["unchanged", "delay"],
    ["unchanged", "every"],
    ["unchanged", "cron"],
    ["unchanged", "hook"],
    ["unchanged", "at"],
  ]);
});

Deno.test("planApply() patches only changed fields, pauses, resumes and prunes", () => {
  const desired: TriggerSpec[] = [
    { name: "a", schedule: { cron: "0 4 * * *" }, misfire: "fire_once" },
    { name: "b", schedule: { cron: "0 3 * * *" }, status: "paused" },
    { name: "c", schedule: { cron: "0 3 * * *" } },
    { name: "new", type: "api", payload: { x: 1 } },
    { name: "every", schedule: { everySeconds: 60, startAt: "2026-11-29T10:00:00.000Z" } },
  ];
  const current = [
    stored({ name: "a", payload: null }),
    stored({ name: "b" }),
    stored({ name: "c", status: "paused", payload: { old: true } }),
    stored({ name: "every", schedule: { everySeconds: 60, startAt: "2026-11-29T10:01:00.000Z" } }),
    stored({ name: "gone" }),
  ];
  const keep = planApply(desired, current, { prune: false });
  assert.deepEqual(keep.map((c) => ({ ...c, id: undefined })), [
    {
      action: "update",
      name: "a",
      index: 0,
      id: undefined,
      patch: { schedule: { cron: "0 4 * * *" } },
      status: undefined,
    },
    { action: "update", name: "b", index: 1, id: undefined, patch: {}, status: "pause" },
    {
      action: "update",
      name: "c",
      index: 2,
      id: undefined,
      patch: { payload: null },
      status: "resume",
    },
    { action: "create", name: "new", index: 3, body: desired[3], id: undefined },
    {
      action: "update",
      name: "every",
      index: 4,
      id: undefined,
      patch: { schedule: desired[4].schedule },
      status: undefined,
    },
    { action: "keep", name: "gone", id: undefined },
  ]);
  const prune = planApply(desired, current, { prune: true });
  assert.deepEqual(prune.at(-1), { action: "delete", name: "gone", id: current[4].id });
});

Deno.test("planApply() leaves the status of a completed trigger alone", () => {
  const plan = planApply(
    [{ name: "once", schedule: { at: "2026-11-29T10:00:00.000Z" } }],
    [stored({ name: "once", status: "completed", schedule: { at: "2026-11-29T10:00:00.000Z" } })],
    { prune: false },
  );
  assert.equal(plan[0].action, "unchanged");
});

Deno.test("parseTriggerFile() names the entry and field of every problem", () => {
  const text = JSON.stringify({
    version: 1,
    triggers: [
      { name: "ok", schedule: { cron: "0 3 * * *" } },
      { name: "ok " },
      { name: "bad-cron", schedule: { cron: "nope" } },
      { name: "bad-tz", schedule: { cron: "0 3 * * *", timezone: "Mars/Olympus" }, extra: 1 },
    ],
  });
  let error: SpecError | undefined;
  try {
    parseTriggerFile(text, "t.json");
  } catch (err) {
    error = err as SpecError;
  }
  assert.ok(error instanceof SpecError);
  assert.deepEqual(error.problems, [
    'triggers[1].name: Duplicate name "ok" (also triggers[0])',
    "triggers[2].schedule.cron: Expected 5 fields (or 6 with seconds first), got 1",
    "triggers[3].schedule.timezone: Unknown IANA time zone",
    'triggers[3].extra: Unknown field "extra"',
  ]);
  assert.throws(
    () => parseTriggerFile('{"version":2,"triggers":[]}', "t.json"),
    (e: unknown) => e instanceof SpecError && e.problems[0] === "version: Expected 1",
  );
  assert.throws(
    () => parseTriggerFile("{", "t.json"),
    (e: unknown) => e instanceof SpecError && e.problems[0].startsWith("Not valid JSON"),
  );
});

Deno.test("table() aligns columns and leaves no trailing blanks", () => {
  assert.equal(
    table(["ID", "NAME", "X"], [["1", "long-name", ""], ["22", "n", "y"]]),
    "ID  NAME       X\n1   long-name\n22  n          y",
  );
});

Deno.test("redactSecrets() hides every header value; restoreSecrets() puts the server's back", () => {
  const hook = { ...WEBHOOK, headers: { Authorization: "Bearer s3cret", "X-Team": "ops" } };
  const file = {
    version: 1 as const,
    triggers: [
      { name: "a", type: "api" as const, webhook: hook },
      { name: "b", type: "api" as const, webhook: { ...WEBHOOK } },
      { name: "c", type: "api" as const },
    ],
  };
  const { file: safe, redacted } = redactSecrets(file);
  assert.equal(redacted, 2);
  assert.deepEqual(safe.triggers[0].webhook?.headers, {
    Authorization: REDACTED,
    "X-Team": REDACTED,
  });
  assert.deepEqual(safe.triggers.slice(1), file.triggers.slice(1));
  assert.equal(hook.headers.Authorization, "Bearer s3cret", "the input is not changed");

  const specs = structuredClone(safe.triggers) as TriggerSpec[];
  // Header names match case-insensitively, as HTTP's do.
  const server = [
    stored({ name: "a", webhook: { ...hook, headers: { authorization: "k2", "X-Team": "ops" } } }),
  ];
  assert.deepEqual(restoreSecrets(specs, server), []);
  assert.deepEqual(specs[0].webhook?.headers, { Authorization: "k2", "X-Team": "ops" });

  const fresh = structuredClone(safe.triggers) as TriggerSpec[];
  assert.deepEqual(restoreSecrets(fresh, []), [
    `triggers[0].webhook.headers.Authorization: ${REDACTED} stands for the server's value, and the server has none: write the value in the file`,
    `triggers[0].webhook.headers.X-Team: ${REDACTED} stands for the server's value, and the server has none: write the value in the file`,
  ]);
});
