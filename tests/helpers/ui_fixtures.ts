/** Fixtures for the UI's unit tests (static/*.js run under Deno, no browser). */
import type { Trigger } from "../../static/api.js";

/** A whole trigger as the API answers it (the UI's `Trigger` type), with `over` on top. */
export function triggerOf(over: Partial<Trigger>): Trigger {
  return {
    id: "01JDX0000000000000000000AA",
    name: "t",
    type: "scheduled",
    schedule: { everySeconds: 60 },
    payload: null,
    payloadSchema: null,
    webhook: null,
    misfire: "fire_once",
    status: "active",
    nextRunAt: null,
    lastRunAt: null,
    runCount: 0,
    createdAt: "2026-11-29T10:00:00.000Z",
    updatedAt: "2026-11-29T10:00:00.000Z",
    version: 1,
    tags: [],
    ...over,
  };
}
