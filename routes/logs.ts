/** `/api/logs`: the execution log, newest first. Reads only: straight from db/. */
import { Hono } from "hono";
import type { Deps } from "../deps.ts";
import { getLog, listLogs } from "../db/log_list.ts";
import { logStats } from "../db/log_stats.ts";
import { logHistogram } from "../db/histogram.ts";
import { HistogramQuery, LogListQuery } from "../schemas.ts";
import { parseWith, queryOf } from "./body.ts";

export function logRoutes(deps: Deps): Hono {
  const app = new Hono();

  app.get("/", async (c) => {
    const q = parseWith(LogListQuery, queryOf(c), "query");
    return c.json(await listLogs(deps.kv, q, deps.clock.now(), deps.config));
  });

  // Before "/:id", which would otherwise take "histogram" or "stats" for an id.
  app.get("/histogram", async (c) => {
    const q = parseWith(HistogramQuery, queryOf(c), "query");
    return c.json(await logHistogram(deps.kv, q, deps.clock.now()));
  });

  app.get("/stats", async (c) => c.json(await logStats(deps.kv, deps.clock.now(), deps.config)));

  app.get(
    "/:id",
    async (c) => c.json(await getLog(deps.kv, c.req.param("id"), deps.clock.now(), deps.config)),
  );

  return app;
}
