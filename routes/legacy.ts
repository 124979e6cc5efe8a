/**
 * The reference design's endpoints, kept for its existing clients, on the same store.
 * Unlike the old app, errors carry real status codes; bodies are `{ error }` (see app.ts).
 */
import { Hono } from "hono";
import { z } from "zod";
import type { Deps } from "../core/deps.ts";
import { logPage, stats as logStats, triggersInOrder } from "../services/reads.ts";
import { markFired } from "./fired_mark.ts";
import {
  fireRequest,
  fireTest,
  idempotencyKeyOf,
  maxTestDelayMs,
  resolveForFire,
  testDefinition,
  unsavedRecord,
} from "../services/firings.ts";
import { fireTestLater } from "../services/pending_test_firing.ts";
import { createTrigger, deleteTrigger, getTriggerByName } from "../services/triggers.ts";
import { LegacyRemoveBody, LegacyScheduleBody } from "../core/request_schemas.ts";
import {
  type LogEntry,
  type StoredLog,
  TestRequest,
  TriggerCreate,
  type TriggerRecord,
} from "../core/schemas.ts";
import { type ScheduleInput } from "../core/schedule_schemas.ts";
import { parseWith, queryOf, readJson } from "./body.ts";
import { hopsFrom } from "../core/hops.ts";

// The bodies are declared with the other schemas; re-exported for the OpenAPI table.
export { LegacyRemoveBody, LegacyScheduleBody } from "../core/request_schemas.ts";
type ScheduleBody = z.infer<typeof LegacyScheduleBody>;

/** Entries /list_logs answers by default and at most (the reference app had no paging). */
export const LIST_LOGS_DEFAULT = 500;
export const LIST_LOGS_MAX = 5_000;

/**
 * `/list_logs?limit=`: newest entries first, up to `limit`. Other query parameters are ignored,
 * as the reference app did.
 */
export const LegacyListLogsQuery = z.object({
  limit: z.coerce.number().int().min(1).max(LIST_LOGS_MAX).default(LIST_LOGS_DEFAULT),
});

/** Most triggers one `/list_triggers` answers (the reference app answered all of them). */
export const LIST_TRIGGERS_MAX = 5_000;

/**
 * `/list_triggers?limit=`: the first `limit` triggers in creation order (all up to 5,000, the
 * default); `X-Total-Count` says how many exist.
 */
export const LegacyListTriggersQuery = z.object({
  limit: z.coerce.number().int().min(1).max(LIST_TRIGGERS_MAX).default(LIST_TRIGGERS_MAX),
});

function legacySchedule(b: ScheduleBody): ScheduleInput | null {
  if (b.trigger_type === "api") return null;
  if (b.delay_seconds != null) return { delaySeconds: b.delay_seconds };
  if (b.interval_seconds != null) return { everySeconds: b.interval_seconds };
  if (b.schedule != null) {
    // An ISO time is a one-time trigger; anything else is a cron expression in UTC.
    return /^\d{4}-\d{2}-\d{2}T/.test(b.schedule)
      ? { at: b.schedule }
      : { cron: b.schedule, timezone: "UTC" };
  }
  return null;
}

function toCreate(b: ScheduleBody): TriggerCreate {
  return {
    name: b.trigger_name,
    type: b.trigger_type,
    schedule: legacySchedule(b),
    ...(b.payload !== undefined ? { payload: b.payload } : {}),
  };
}

function describeSchedule(rec: TriggerRecord): string | null {
  const s = rec.schedule;
  if (!s) return null;
  if ("at" in s) return s.at;
  if ("everySeconds" in s) return `every ${s.everySeconds} seconds`;
  return s.cron;
}

function legacyTrigger(rec: TriggerRecord) {
  return {
    trigger_name: rec.name,
    trigger_type: rec.type,
    schedule: describeSchedule(rec),
    payload: rec.payload ?? null,
    next_run_at: rec.status === "active" ? rec.nextRunAt : null,
  };
}

function legacyLog(log: StoredLog | LogEntry, state: string) {
  return {
    trigger_name: log.triggerName,
    executed_at: log.firedAt,
    source: log.source,
    payload: log.payload ?? null,
    state,
  };
}

/** Up to `limit` retained entries, newest first, read a page at a time. */
async function newestLogs(deps: Deps, limit: number, now: number): Promise<LogEntry[]> {
  const out: LogEntry[] = [];
  let cursor: string | undefined;
  do {
    const page = await logPage(
      deps,
      { state: "all", limit: Math.min(500, limit - out.length), cursor },
      now,
    );
    out.push(...page.items);
    cursor = page.nextCursor ?? undefined;
  } while (cursor && out.length < limit);
  return out;
}

export function legacyRoutes(deps: Deps): Hono {
  const app = new Hono();
  const max = deps.config.maxPayloadBytes;

  app.post("/schedule_trigger", async (c) => {
    const body = parseWith(LegacyScheduleBody, await readJson(c, max), "request");
    const rec = await createTrigger(deps, parseWith(TriggerCreate, toCreate(body), "trigger"));
    return c.json({ message: `Trigger "${rec.name}" scheduled`, trigger: legacyTrigger(rec) });
  });

  // Bounded, unlike the reference app's (100,000 triggers were one ~50 MB answer, read whole
  // per request); X-Total-Count says when `limit` cut it short, as /list_logs does.
  app.get("/list_triggers", async (c) => {
    const { limit } = parseWith(LegacyListTriggersQuery, queryOf(c), "query");
    const out = [];
    let total: number | null = null;
    let cursor: string | undefined;
    do {
      const page = await triggersInOrder(deps, {
        limit: Math.min(500, limit - out.length),
        cursor,
      });
      total ??= page.total;
      out.push(...page.items.map(legacyTrigger));
      cursor = page.nextCursor ?? undefined;
    } while (cursor && out.length < limit);
    c.header("X-Total-Count", String(total ?? out.length));
    return c.json(out);
  });

  app.post("/remove_trigger", async (c) => {
    const { trigger_name } = parseWith(LegacyRemoveBody, await readJson(c, max), "request");
    const rec = await getTriggerByName(deps, trigger_name);
    await deleteTrigger(deps, rec.id);
    return c.json({ message: `Trigger "${trigger_name}" removed` });
  });

  app.post("/trigger_api", async (c) => {
    const hops = hopsFrom(c.req.header("tock-hops"));
    const name = c.req.query("trigger_name");
    if (!name) {
      return c.json({ error: "Query parameter trigger_name is required" }, 400);
    }
    const key = idempotencyKeyOf(c.req.header("idempotency-key"));
    const rec = await resolveForFire(deps, { name });
    const NONE = Symbol();
    const read = await readJson(c, max, NONE);
    const body = read === NONE ? undefined : read;
    const { entry, replayed } = await fireRequest(deps, rec, body, { key, hops });
    markFired(c, entry);
    const headers: Record<string, string> = replayed ? { "Idempotent-Replayed": "true" } : {};
    const message = `Trigger "${name}" fired`;
    return c.json({ message, log: legacyLog(entry, entry.state) }, 200, headers);
  });

  // X-Total-Count: how many entries exist (the exact counters, at an instant no earlier than
  // the listing's), so a client sees when `limit` cut the answer short.
  app.get("/list_logs", async (c) => {
    const { limit } = parseWith(LegacyListLogsQuery, queryOf(c), "query");
    const now = deps.clock.now();
    const [items, stats] = await Promise.all([
      newestLogs(deps, limit, now),
      // Totals only: no row is named.
      logStats(deps, { top: 0 }),
    ]);
    c.header("X-Total-Count", String(stats.active + stats.archived));
    return c.json(items.map((l) => legacyLog(l, l.state)));
  });

  app.post("/test_trigger", async (c) => {
    const body = parseWith(LegacyScheduleBody, await readJson(c, max), "request");
    const delayMs = Math.max(0, (body.delay_seconds ?? 0) * 1000);
    // Validate the whole definition first; the delay only postpones the firing.
    const now = deps.clock.now();
    const input = parseWith(TestRequest, toCreate(body), "trigger definition");
    const { def, occurrences } = testDefinition(deps, input, now);
    const maxDelayMs = maxTestDelayMs(deps.config.requestTimeoutMs);
    if (delayMs > maxDelayMs) {
      return c.json({
        error: `delay_seconds must be at most ${maxDelayMs / 1000} for a test firing ` +
          `(the request waits for it)`,
      }, 400);
    }
    let log: StoredLog | null;
    if (delayMs === 0) {
      log = await fireTest(deps, unsavedRecord(def, now), def.payload, now);
    } else {
      // Durable before we wait: a pending record in KV, fired by our timer (which a client
      // disconnect does not cancel) or, should this process die, by housekeeping.
      log = await fireTestLater(deps, {
        atMs: now + delayMs,
        def: unsavedRecord(def, now),
        payload: def.payload,
      });
    }
    return c.json({
      message: `Test trigger "${body.trigger_name}" fired`,
      log: log ? legacyLog(log, "active") : null,
      occurrences,
    });
  });

  return app;
}
