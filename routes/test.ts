/** `POST /api/test` (fire an unsaved definition once) and `POST /api/preview` (its occurrences). */
import { Hono } from "hono";
import type { Deps } from "../core/deps.ts";
import { toLogView } from "../core/log_view.ts";
import { fireDefinition, testDefinition } from "../services/firings.ts";
import { PreviewQuery } from "../core/request_schemas.ts";
import { TestRequest } from "../core/schemas.ts";
import { parseWith, queryOf, readJson } from "./body.ts";

export function testRoutes(deps: Deps): Hono {
  const app = new Hono();
  const max = deps.config.maxPayloadBytes;
  const definition = async (c: Parameters<typeof readJson>[0]) =>
    parseWith(TestRequest, await readJson(c, max), "trigger definition");

  app.post("/test", async (c) => {
    const { log, occurrences } = await fireDefinition(deps, await definition(c));
    return c.json({ log: toLogView(log, deps.clock.now(), deps.config), occurrences });
  });

  app.post("/preview", async (c) => {
    const { count } = parseWith(PreviewQuery, queryOf(c), "query");
    const input = await definition(c);
    return c.json({
      occurrences: testDefinition(deps, input, deps.clock.now(), count).occurrences,
    });
  });

  return app;
}
