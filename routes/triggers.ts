/** `/api/triggers`: create, list/search, bulk, get, patch, delete, pause, resume, fire, preview. */
import { Hono } from "hono";
import type { Deps } from "../core/deps.ts";
import { triggerPage, triggerViews } from "../services/reads.ts";
import { bulkAction } from "../services/bulk.ts";
import { markFired } from "./fired_mark.ts";
import { fireRequest, idempotencyKeyOf, resolveForFire } from "../services/firings.ts";
import {
  createTrigger,
  deleteTrigger,
  getTrigger,
  patchTrigger,
  pauseTrigger,
  previewTrigger,
  resumeTrigger,
} from "../services/triggers.ts";
import { startBackfill } from "../services/backfill.ts";
import {
  BackfillBody,
  BulkRequest,
  PauseBody,
  PreviewQuery,
  TriggerListQuery,
} from "../core/request_schemas.ts";
import { TriggerCreate, TriggerPatch, type TriggerRecord } from "../core/schemas.ts";
import { parseWith, queryOf, readJson } from "./body.ts";
import { hopsFrom } from "../core/hops.ts";

export function triggerRoutes(deps: Deps): Hono {
  const app = new Hono();
  const max = deps.config.maxPayloadBytes;
  const view = async (rec: TriggerRecord) => (await triggerViews(deps, [rec]))[0];

  app.post("/", async (c) => {
    const body = parseWith(TriggerCreate, await readJson(c, max), "trigger");
    const rec = await createTrigger(deps, body);
    return c.json((await triggerViews(deps, [rec], { fresh: true }))[0], 201);
  });

  app.get("/", async (c) => {
    // `tag` repeats (all must match); every other parameter: the last value wins.
    const query: Record<string, unknown> = queryOf(c);
    const tags = new URL(c.req.url).searchParams.getAll("tag");
    if (tags.length > 1) query.tag = tags;
    const q = parseWith(TriggerListQuery, query, "query");
    const page = await triggerPage(deps, q);
    return c.json({
      items: await triggerViews(deps, page.items),
      nextCursor: page.nextCursor,
      total: page.total,
    });
  });

  // Before the "/:id" routes.
  app.post("/bulk", async (c) => {
    const body = parseWith(BulkRequest, await readJson(c, 2 * 1024 * 1024), "bulk request");
    return c.json(await bulkAction(deps, body));
  });

  app.get("/:id", async (c) => c.json(await view(await getTrigger(deps, c.req.param("id")))));

  app.patch("/:id", async (c) => {
    const patch = parseWith(TriggerPatch, await readJson(c, max), "patch");
    return c.json(await view(await patchTrigger(deps, c.req.param("id"), patch)));
  });

  app.delete("/:id", async (c) => {
    await deleteTrigger(deps, c.req.param("id"));
    return c.body(null, 204);
  });

  app.post("/:id/pause", async (c) => {
    // The body is optional: a bare POST pauses with no reason and no end.
    const NONE = Symbol();
    const raw = await readJson(c, max, NONE);
    const body = raw === NONE ? {} : parseWith(PauseBody, raw, "body");
    return c.json(await view(await pauseTrigger(deps, c.req.param("id"), body)));
  });

  app.post(
    "/:id/resume",
    async (c) => c.json(await view(await resumeTrigger(deps, c.req.param("id")))),
  );

  app.post("/:id/fire", async (c) => {
    const hops = hopsFrom(c.req.header("tock-hops"));
    const key = idempotencyKeyOf(c.req.header("idempotency-key"));
    const rec = await resolveForFire(deps, { id: c.req.param("id") });
    const NONE = Symbol();
    const read = await readJson(c, max, NONE);
    const body = read === NONE ? undefined : read;
    const { entry, replayed } = await fireRequest(deps, rec, body, { key, hops });
    markFired(c, entry);
    if (replayed) return c.json(entry, 200, { "Idempotent-Replayed": "true" });
    return c.json(entry, 202);
  });

  app.post("/:id/backfill", async (c) => {
    const body = parseWith(BackfillBody, await readJson(c, max), "backfill");
    return c.json(await startBackfill(deps, c.req.param("id"), body));
  });

  app.get("/:id/preview", async (c) => {
    const { count } = parseWith(PreviewQuery, queryOf(c), "query");
    return c.json({ occurrences: await previewTrigger(deps, c.req.param("id"), count) });
  });

  return app;
}
