/** `POST /api/logs/:id/redeliver`: a new webhook delivery series for a logged firing. */
import { Hono } from "hono";
import type { Deps } from "../core/deps.ts";
import { toLogView } from "../core/log_view.ts";
import { NotFoundError } from "../core/errors.ts";
import { redeliver } from "../services/deliveries.ts";
import { isUlid } from "../core/ulid.ts";

export function deliveryRoutes(deps: Deps): Hono {
  const app = new Hono();

  app.post("/:id/redeliver", async (c) => {
    const id = c.req.param("id");
    // Log ids are ULIDs; anything else (a 3 KB id is a key KV refuses to read) is unknown.
    if (!isUlid(id)) throw new NotFoundError(`No log entry with id "${id.slice(0, 64)}"`);
    const log = await redeliver(deps, id);
    const view = toLogView(log, deps.clock.now(), deps.config);
    if (!view) throw new NotFoundError(`No log entry with id "${id}"`);
    return c.json(view, 202);
  });

  return app;
}
