/** `POST /api/test` (fire an unsaved definition once) and `POST /api/preview` (its occurrences). */
import { Hono } from "hono";
import type { Deps } from "../deps.ts";
import { toLogView } from "../db/logs.ts";
import { buildDefinition, type Definition, newTriggerRecord } from "../scheduler/definition.ts";
import { fireTest } from "../scheduler/fire.ts";
import { occurrences } from "../scheduler/next_occurrence.ts";
import { PreviewQuery, TestRequest, type TriggerRecord } from "../schemas.ts";
import { parseWith, queryOf, readJson } from "./body.ts";

/**
 * Longest `delay_seconds` of a `/test_trigger` call: the request waits for the firing, so the
 * delay stays well inside the request timeout (25 s with the default 30 s timeout).
 */
export function maxTestDelayMs(requestTimeoutMs: number): number {
  return Math.max(0, Math.min(25_000, requestTimeoutMs - 5_000));
}

/** A throwaway record (no id) for a definition that is not saved. */
export function unsavedRecord(def: Definition, nowMs: number): TriggerRecord {
  return newTriggerRecord(def, nowMs, { id: "" });
}

/** Validates a test/preview body into a definition and its next `count` occurrences. */
export function testDefinition(deps: Deps, body: unknown, nowMs: number, count = 5) {
  const input = parseWith(TestRequest, body, "trigger definition");
  const def = buildDefinition({ ...input, name: input.name ?? "test" }, nowMs, deps.schemas.check);
  const next = def.schedule ? occurrences(def.schedule, nowMs - 1, count) : [];
  return { def, input, occurrences: next.map((t) => new Date(t).toISOString()) };
}

export function testRoutes(deps: Deps): Hono {
  const app = new Hono();
  const max = deps.config.maxPayloadBytes;

  app.post("/test", async (c) => {
    const now = deps.clock.now();
    const { def, input, occurrences } = testDefinition(deps, await readJson(c, max), now);
    const rec = unsavedRecord(def, now);
    const payload = input.payload !== undefined ? input.payload : def.payload;
    if (def.type === "api") {
      await deps.schemas.validate({ ...rec, id: "test", version: now }, payload);
    }
    const log = await fireTest(deps, rec, payload, now);
    return c.json({ log: toLogView(log, deps.clock.now(), deps.config), occurrences });
  });

  app.post("/preview", async (c) => {
    const { count } = parseWith(PreviewQuery, queryOf(c), "query");
    const { occurrences } = testDefinition(deps, await readJson(c, max), deps.clock.now(), count);
    return c.json({ occurrences });
  });

  return app;
}
