/**
 * `createApp(deps)`: the Hono app, built from one router per resource. No I/O at import time;
 * tests build it on a `:memory:` KV and call `app.request()`.
 *
 * Middleware is scoped by where it is registered, never by path lists: Hono runs, for a
 * request, the matching handlers in registration order until one answers. So routes mounted
 * before the key check stay open, the event stream is mounted before the request timeout, and
 * the reference API carries its own guards and error format.
 */
import { type Context, Hono, type MiddlewareHandler } from "hono";
import { compress } from "hono/compress";
import { cors } from "hono/cors";
import { HTTPException } from "hono/http-exception";
import type { Deps } from "../core/deps.ts";
import { FifoDeadlines } from "../core/deadlines.ts";
import { InternalError, NotFoundError, problemResponse, TockError } from "../core/errors.ts";
import type { SchedulerStatus } from "../core/request_schemas.ts";
import { deliveryRoutes } from "../routes/deliveries.ts";
import { eventRoutes } from "../routes/events.ts";
import { healthRoutes } from "../routes/health.ts";
import { legacyRoutes } from "../routes/legacy.ts";
import { logRoutes } from "../routes/logs.ts";
import { testRoutes } from "../routes/test.ts";
import { triggerRoutes } from "../routes/triggers.ts";
import { uiRoutes } from "../routes/ui.ts";
import { apiKeyAuth } from "./middleware/auth.ts";
import { hostGuard, sameOriginWrites } from "./middleware/cross_site.ts";
import { rateLimit } from "./middleware/rate_limit.ts";
import { type LogSink, observeRequests } from "./middleware/request_log.ts";
import { requestTimeout } from "./middleware/timeout.ts";
import { docsRoutes } from "../routes/docs.ts";
import { metricsRoutes } from "../routes/metrics.ts";
import { openApiRoutes } from "./openapi/openapi.ts";
import { MemoRouter } from "./memo_router.ts";

export type { Deps } from "../core/deps.ts";

export interface AppOptions {
  schedulerStatus?: () => SchedulerStatus;
  /** Heartbeat interval of /api/events (15 s by default; tests shorten it). */
  eventsHeartbeatMs?: number;
  /** Entries one /api/events replay reads before it pauses (10,000; tests shorten it). */
  eventsReplayMax?: number;
  /** Aborted when the server stops: ends open /api/events streams so shutdown need not wait. */
  shutdown?: AbortSignal;
  /** Where one line per request goes (main.ts: stdout in --log-format); none when absent. */
  log?: LogSink | null;
}

/** Titles of the statuses Hono's own middleware throws (timeout: 503). */
const TITLES: Record<number, string> = {
  400: "Invalid request",
  401: "Unauthorized",
  403: "Forbidden",
  413: "Payload too large",
  503: "Service unavailable",
};

/** Any error as a TockError: typed errors as they are, Hono's by status, the rest a 500. */
export function asTockError(err: Error, c: Context): TockError {
  if (err instanceof TockError) return err;
  if (err instanceof HTTPException) {
    const title = TITLES[err.status] ?? "Error";
    return new TockError(err.status, title, err.message || title);
  }
  console.error(`${c.req.method} ${c.req.path} failed:`, err);
  return new InternalError();
}

/** The reference design's error body: `{ error }` with the field errors folded in. */
function legacyError(err: TockError): Response {
  const details = err.errors?.map((e) => `${e.path}: ${e.message}`).join("; ");
  const error = err instanceof InternalError
    ? "Internal error"
    : details
    ? `${err.message}: ${details}`
    : err.message;
  return Response.json({ error }, { status: err.status, headers: err.headers });
}

declare module "hono" {
  interface ContextVariableMap {
    /** Set on the reference API's paths: the app's onError answers `{ error }` there. */
    referenceErrors: boolean;
  }
}

/** Marks a request of the reference API, before its guards run. */
const referenceErrors: MiddlewareHandler = (c, next) => {
  c.set("referenceErrors", true);
  return next();
};

/**
 * The reference endpoints as one sub-app: on exactly the paths the legacy router registered,
 * a marker and then `guards` run first, so every error there (a 401, 403 or 429 included)
 * is answered `{ error }` by the app's one onError. Not a sub-app onError: Hono's `route()`
 * wraps each of such a sub-app's handlers, guards included, in an async function and a
 * compose of its own, which cost `/trigger_api` ~20 us of the JS thread per firing (94 against
 * 74 us for the REST fire, `bench/fire_profile.ts --path legacy|fire`). Another method on
 * one of its paths is the reference app's 405.
 */
function referenceApp(routes: Hono, guards: MiddlewareHandler[]): Hono {
  const app = new Hono();
  const paths = [...new Set(routes.routes.map((r) => r.path))];
  for (const path of paths) app.use(path, referenceErrors, ...guards);
  app.route("/", routes);
  for (const path of paths) app.all(path, (c) => c.json({ error: "Method not allowed" }, 405));
  return app;
}

export function createApp(deps: Deps, opts: AppOptions = {}): Hono {
  const config = deps.config;
  const app = new Hono({ router: new MemoRouter() });
  app.onError((err, c) => {
    const e = asTockError(err, c);
    return c.get("referenceErrors") ? legacyError(e) : problemResponse(e);
  });
  app.notFound((c) =>
    problemResponse(new NotFoundError(`No route for ${c.req.method} ${c.req.path}`))
  );

  // Every request. Observed first, so it sees the final status of all that follows.
  app.use(observeRequests(deps.metrics, opts.log ?? null));
  app.use(hostGuard(config));
  // gzip/deflate for JSON, HTML, JS, CSS when asked; its type filter skips text/event-stream.
  // Reads only: c.json sets no Content-Length, so hono's size threshold never applies, and a
  // write's answer (a fire's ~400-byte ack) would cost a compression stream per request.
  const gzip = compress();
  app.use((c, next) => (c.req.method === "GET" ? gzip(c, next) : next()));
  if (config.corsOrigins.length > 0) {
    app.use(cors({
      origin: config.corsOrigins,
      allowHeaders: ["Authorization", "Content-Type", "Idempotency-Key", "Last-Event-ID"],
      exposeHeaders: ["Retry-After", "Idempotent-Replayed"],
      maxAge: 600,
    }));
  }
  const bodyDeadlines = new FifoDeadlines(config.bodyTimeoutMs);
  app.use((c, next) => {
    c.set("bodyDeadlines", bodyDeadlines);
    return next();
  });

  // Open with a key configured: health checks, the API description, the UI shell and files.
  app.route("/", healthRoutes(deps, opts.schedulerStatus));
  app.route("/", openApiRoutes());
  app.route("/", docsRoutes());
  app.route("/", uiRoutes());

  // Everything below: cross-site check, then the key, then the write limit (so a 401 never
  // spends a write token). One instance each, shared by both APIs, so limits count per client.
  const guards = [
    sameOriginWrites(config.corsOrigins),
    apiKeyAuth(config.apiKeys),
    rateLimit(config.rateLimit),
  ];
  // `/test_trigger` waits up to its delay before firing (capped below the timeout), so the
  // reference API's deadline is twice the timeout: the wait plus the work.
  const legacy = legacyRoutes(deps);
  app.route("/", referenceApp(legacy, [...guards, requestTimeout(2 * config.requestTimeoutMs)]));
  app.use(...guards);
  // Long-lived: mounted before the request timeout, which must never cut it.
  app.route(
    "/api/events",
    eventRoutes(deps, {
      heartbeatMs: opts.eventsHeartbeatMs,
      replayMax: opts.eventsReplayMax,
      shutdown: opts.shutdown,
    }),
  );
  app.use(requestTimeout(config.requestTimeoutMs));
  app.route("/api/triggers", triggerRoutes(deps));
  app.route("/api/logs", deliveryRoutes(deps));
  app.route("/api/logs", logRoutes(deps));
  app.route("/api", testRoutes(deps));
  app.route("/", metricsRoutes(deps, deps.metrics, { schedulerStatus: opts.schedulerStatus }));
  return app;
}
