/** `/api/logs`: the execution log, newest first. Reads only: straight from db/. */
import { Hono } from "hono";
import type { Deps } from "../core/deps.ts";
import { histogram, logEntry, logPage, stats } from "../services/reads.ts";
import { HistogramQuery, LogListQuery, LogStatsQuery } from "../core/request_schemas.ts";
import { parseWith, queryOf } from "./body.ts";

export function logRoutes(deps: Deps): Hono {
  const app = new Hono();

  app.get("/", async (c) => {
    const q = parseWith(LogListQuery, queryOf(c), "query");
    return c.json(await logPage(deps, q));
  });

  // Before "/:id", which would otherwise take "histogram" or "stats" for an id.
  app.get("/histogram", async (c) => {
    const q = parseWith(HistogramQuery, queryOf(c), "query");
    return c.json(await histogram(deps, q));
  });

  // Whole-store answers are shared by the requests that arrive together (services/reads.ts),
  // and so is their JSON: ~11 MB at 100,000 triggers is encoded once, not once per caller.
  const encoded = new WeakMap<object, string>();
  app.get("/stats", async (c) => {
    const q = parseWith(LogStatsQuery, queryOf(c), "query");
    const answer = await stats(deps, q);
    let body = encoded.get(answer);
    if (body === undefined) {
      body = JSON.stringify(answer);
      encoded.set(answer, body);
    }
    return c.body(body, 200, { "content-type": "application/json" });
  });

  app.get(
    "/:id",
    async (c) => c.json(await logEntry(deps, c.req.param("id"))),
  );

  return app;
}
