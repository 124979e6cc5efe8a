/** `/api/logs`: the execution log, newest first. */
import { Hono } from "hono";
import type { Deps } from "../deps.ts";
import { keys } from "../db/keys.ts";
import { getLog, listLogs, logStats } from "../db/logs.ts";
import { idByName } from "../db/triggers.ts";
import { isUlid } from "../db/ulid.ts";
import { LogListQuery } from "../schemas.ts";
import { parseWith, queryOf } from "./body.ts";

/**
 * The index to scan for `?trigger=`: a live trigger's name or any trigger id (deleted ones
 * too) scans that trigger's entries; any other string scans entries fired under that name, so
 * the logs of a deleted trigger stay findable by name until retention ends.
 */
export async function triggerLogIndex(kv: Deno.Kv, ref: string): Promise<{ prefix: Deno.KvKey }> {
  const id = await idByName(kv, ref);
  if (id !== null) return { prefix: keys.logsByTriggerPrefix(id) };
  if (isUlid(ref)) return { prefix: keys.logsByTriggerPrefix(ref) };
  return { prefix: keys.logsByNamePrefix(ref) };
}

export function logRoutes(deps: Deps): Hono {
  const app = new Hono();

  app.get("/", async (c) => {
    const q = parseWith(LogListQuery, queryOf(c), "query");
    return c.json(
      await listLogs(
        deps.kv,
        q,
        deps.clock.now(),
        deps.config,
        (ref) => triggerLogIndex(deps.kv, ref),
      ),
    );
  });

  // Before "/:id", which would otherwise take "stats" for an id.
  app.get("/stats", async (c) => c.json(await logStats(deps.kv, deps.clock.now(), deps.config)));

  app.get(
    "/:id",
    async (c) => c.json(await getLog(deps.kv, c.req.param("id"), deps.clock.now(), deps.config)),
  );

  return app;
}
