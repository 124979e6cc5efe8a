/**
 * `createApp(deps)`: the Hono app, built from one router per resource. No I/O at import time;
 * tests build it on a `:memory:` KV and call `app.request()`.
 */
import { Hono } from "hono";
import type { Deps } from "./deps.ts";
import { RateLimitError, TockError, toProblem } from "./errors.ts";
import type { SchedulerStatus } from "./scheduler/engine.ts";
import { deliveryRoutes } from "./routes/deliveries.ts";
import { eventRoutes } from "./routes/events.ts";
import { healthRoutes } from "./routes/health.ts";
import { legacyRoutes } from "./routes/legacy.ts";
import { logRoutes } from "./routes/logs.ts";
import { testRoutes } from "./routes/test.ts";
import { triggerRoutes } from "./routes/triggers.ts";
import { uiRoutes } from "./routes/ui.ts";
import { apiKeyAuth } from "./middleware/auth.ts";
import { rateLimit } from "./middleware/rate_limit.ts";
import { type LogSink, observeRequests } from "./middleware/request_log.ts";
import { requestTimeout } from "./middleware/timeout.ts";
import { docsRoutes } from "./routes/docs.ts";
import { metricsRoutes } from "./routes/metrics.ts";
import { openApiRoutes } from "./routes/openapi.ts";

export type { Deps } from "./deps.ts";

/** Paths of the reference design, which answer errors as `{ error }`. */
const LEGACY_PATHS = new Set([
  "/schedule_trigger",
  "/list_triggers",
  "/remove_trigger",
  "/trigger_api",
  "/list_logs",
  "/test_trigger",
]);

export interface AppOptions {
  schedulerStatus?: () => SchedulerStatus;
  /** Heartbeat interval of /api/events (15 s by default; tests shorten it). */
  eventsHeartbeatMs?: number;
  /** Aborted when the server stops: ends open /api/events streams so shutdown need not wait. */
  shutdown?: AbortSignal;
  /** Where one line per request goes (main.ts: stdout in --log-format); none when absent. */
  log?: LogSink | null;
}

export function createApp(deps: Deps, opts: AppOptions = {}): Hono {
  const app = new Hono();

  // The one place errors become HTTP: RFC 9457 problem+json, or `{ error }` on legacy paths.
  app.onError((err, c) => {
    const tockErr = err instanceof TockError ? err : null;
    if (!tockErr) console.error(`${c.req.method} ${c.req.path} failed:`, err);
    const status = tockErr?.status ?? 500;
    const headers: Record<string, string> = {};
    if (err instanceof RateLimitError) headers["Retry-After"] = String(err.retryAfterSeconds);
    if (LEGACY_PATHS.has(c.req.path)) {
      const details = tockErr?.errors?.map((e) => `${e.path}: ${e.message}`).join("; ");
      const message = tockErr
        ? (details ? `${tockErr.message}: ${details}` : tockErr.message)
        : "Internal error";
      return c.json({ error: message }, status as 400, headers);
    }
    const problem = tockErr ? toProblem(tockErr) : {
      type: "about:blank",
      title: "Internal Server Error",
      status: 500,
      detail: "Unexpected error",
    };
    return c.body(JSON.stringify(problem), status as 400, {
      ...headers,
      "content-type": "application/problem+json",
    });
  });

  app.notFound((c) => {
    if (LEGACY_PATHS.has(c.req.path)) return c.json({ error: "Method not allowed" }, 405);
    return c.body(
      JSON.stringify({
        type: "about:blank",
        title: "Not found",
        status: 404,
        detail: `No route for ${c.req.method} ${c.req.path}`,
      }),
      404,
      { "content-type": "application/problem+json" },
    );
  });

  // Outermost first: observe sees the final status of all that follows (401, 429, 503).
  app.use(observeRequests(deps.metrics, opts.log ?? null));
  app.use(requestTimeout(deps.config.requestTimeoutMs));
  app.use(rateLimit(deps.config.rateLimit));
  app.use(apiKeyAuth(deps.config.apiKeys));

  app.route("/api/triggers", triggerRoutes(deps));
  app.route("/api/logs", deliveryRoutes(deps));
  app.route("/api/logs", logRoutes(deps));
  app.route("/api", testRoutes(deps));
  app.route(
    "/api/events",
    eventRoutes(deps, { heartbeatMs: opts.eventsHeartbeatMs, shutdown: opts.shutdown }),
  );
  app.route("/", healthRoutes(deps, opts.schedulerStatus));
  app.route("/", legacyRoutes(deps));
  app.route("/", uiRoutes());
  app.route("/", metricsRoutes(deps, deps.metrics, { schedulerStatus: opts.schedulerStatus }));
  app.route("/", openApiRoutes());
  app.route("/", docsRoutes());
  return app;
}
