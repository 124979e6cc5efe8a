/**
 * `GET /openapi.json`: the OpenAPI 3.1 document of Tock's route table (route_table.ts), built
 * by the generic zod-to-OpenAPI builder (openapi_builder.ts).
 */
import { Hono } from "hono";
import { buildOpenApi } from "./openapi_builder.ts";
import { INFO, ROUTES } from "./route_table.ts";
import { NAMED } from "./api_shapes.ts";

/** The document for Tock's routes (built once per call; the route caches it). */
export function tockOpenApi(): Record<string, unknown> {
  return buildOpenApi(ROUTES, NAMED, INFO);
}

export function openApiRoutes(): Hono {
  const app = new Hono();
  let cached: string | null = null;
  app.get("/openapi.json", (c) => {
    cached ??= JSON.stringify(tockOpenApi());
    return c.body(cached, 200, { "content-type": "application/json; charset=utf-8" });
  });
  return app;
}
