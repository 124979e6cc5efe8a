/** `/api/triggers`: create, list, get, patch, delete, pause, resume, fire, preview. */
import { Hono } from "hono";
import type { Deps } from "../deps.ts";
import { ConflictError } from "../errors.ts";
import {
  deleteTrigger,
  getTriggerEntry,
  insertTrigger,
  listTriggers,
  toTriggerViews,
  updateTrigger,
} from "../db/triggers.ts";
import { toLogView } from "../db/logs.ts";
import { buildDefinition, firstRun, newTriggerRecord } from "../scheduler/definition.ts";
import { fireNow } from "../scheduler/fire.ts";
import { occurrences } from "../scheduler/next_occurrence.ts";
import {
  PreviewQuery,
  TriggerCreate,
  TriggerListQuery,
  TriggerPatch,
  type TriggerRecord,
} from "../schemas.ts";
import { parseWith, queryOf, readJson } from "./body.ts";
import { hopsFrom } from "../webhook/hops.ts";

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

/** Creates a trigger from a validated body; shared by the REST and reference endpoints. */
export async function createTrigger(deps: Deps, body: TriggerCreate): Promise<TriggerRecord> {
  const now = deps.clock.now();
  const def = buildDefinition(body, now, deps.schemas.check);
  const rec = newTriggerRecord(def, now, {
    status: body.status === "paused" ? "paused" : "active",
  });
  await insertTrigger(deps.kv, rec);
  if (rec.status === "active") {
    deps.scheduler?.notify(rec.nextRunAt ? Date.parse(rec.nextRunAt) : null);
  }
  return rec;
}

/** Upcoming occurrences of a stored trigger, from where it stands now. */
export function upcoming(rec: TriggerRecord, nowMs: number, count: number): string[] {
  if (!rec.schedule || rec.status === "completed") return [];
  const pending = rec.nextRunAt !== null ? Date.parse(rec.nextRunAt) : null;
  // An active trigger continues from its pending occurrence; a paused one from now.
  const after = rec.status === "active" && pending !== null ? pending - 1 : nowMs;
  return occurrences(rec.schedule, after, count, rec.scheduledRuns).map((t) => iso(t)!);
}

export function triggerRoutes(deps: Deps): Hono {
  const app = new Hono();
  const max = deps.config.maxPayloadBytes;
  const view = async (rec: TriggerRecord) => (await toTriggerViews(deps.kv, [rec]))[0];

  app.post("/", async (c) => {
    const body = parseWith(TriggerCreate, await readJson(c, max), "trigger");
    return c.json(await view(await createTrigger(deps, body)), 201);
  });

  app.get("/", async (c) => {
    const q = parseWith(TriggerListQuery, queryOf(c), "query");
    const page = await listTriggers(deps.kv, q);
    return c.json({
      items: await toTriggerViews(deps.kv, page.items),
      nextCursor: page.nextCursor,
    });
  });

  app.get(
    "/:id",
    async (c) => c.json(await view((await getTriggerEntry(deps.kv, c.req.param("id"))).value)),
  );

  app.patch("/:id", async (c) => {
    const patch = parseWith(TriggerPatch, await readJson(c, max), "patch");
    const now = deps.clock.now();
    const rec = await updateTrigger(deps.kv, c.req.param("id"), (cur) => {
      const scheduleChanged = patch.schedule !== undefined ||
        (patch.type !== undefined && patch.type !== cur.type);
      const def = buildDefinition(
        {
          name: patch.name ?? cur.name,
          type: patch.type ?? cur.type,
          schedule: patch.schedule ?? undefined,
          payload: patch.payload !== undefined
            ? patch.payload
            : cur.payload as TriggerCreate["payload"],
          payloadSchema: patch.payloadSchema !== undefined
            ? patch.payloadSchema
            : cur.payloadSchema,
          webhook: patch.webhook !== undefined ? patch.webhook : cur.webhook,
          misfire: patch.misfire ?? cur.misfire,
        },
        now,
        deps.schemas.check,
        patch.schedule !== undefined ? undefined : (patch.type === "api" ? null : cur.schedule),
      );
      const updated: TriggerRecord = {
        ...cur,
        ...def,
        updatedAt: iso(now)!,
        version: cur.version + 1,
      };
      if (scheduleChanged) {
        // A new schedule starts afresh: its own first occurrence, its own maxRuns count.
        const next = firstRun(def.schedule, now);
        updated.nextRunAt = iso(next);
        updated.scheduledRuns = 0;
        if (cur.status !== "paused") {
          updated.status = next === null && def.schedule ? "completed" : "active";
        }
      }
      return updated;
    });
    deps.scheduler?.notify(rec.nextRunAt ? Date.parse(rec.nextRunAt) : null);
    return c.json(await view(rec));
  });

  app.delete("/:id", async (c) => {
    await deleteTrigger(deps.kv, c.req.param("id"));
    deps.scheduler?.notify(null);
    return c.body(null, 204);
  });

  app.post("/:id/pause", async (c) => {
    const now = deps.clock.now();
    const rec = await updateTrigger(deps.kv, c.req.param("id"), (cur) => {
      if (cur.status === "paused") return null;
      if (cur.status === "completed") {
        throw new ConflictError(`Trigger "${cur.name}" has completed`);
      }
      return { ...cur, status: "paused", updatedAt: iso(now)!, version: cur.version + 1 };
    });
    deps.scheduler?.notify(null);
    return c.json(await view(rec));
  });

  app.post("/:id/resume", async (c) => {
    const now = deps.clock.now();
    // The pending occurrence keeps its time: if it passed while paused, the claim applies the
    // trigger's misfire policy to it (one catch-up firing, or skip to the next).
    const rec = await updateTrigger(deps.kv, c.req.param("id"), (cur) => {
      if (cur.status !== "paused") return null;
      return { ...cur, status: "active", updatedAt: iso(now)!, version: cur.version + 1 };
    });
    deps.scheduler?.notify(rec.nextRunAt ? Date.parse(rec.nextRunAt) : null);
    return c.json(await view(rec));
  });

  app.post("/:id/fire", async (c) => {
    const hops = hopsFrom(c.req.header("tock-hops"));
    const { value: rec } = await getTriggerEntry(deps.kv, c.req.param("id"));
    const NONE = Symbol();
    const body = await readJson(c, max, NONE);
    const payload = body === NONE ? rec.payload : body;
    if (rec.type === "api") await deps.schemas.validate(rec, payload);
    const log = await fireNow(deps, rec, payload, hops);
    return c.json(toLogView(log, deps.clock.now(), deps.config), 202);
  });

  app.get("/:id/preview", async (c) => {
    const { count } = parseWith(PreviewQuery, queryOf(c), "query");
    const { value: rec } = await getTriggerEntry(deps.kv, c.req.param("id"));
    return c.json({ occurrences: upcoming(rec, deps.clock.now(), count) });
  });

  return app;
}
