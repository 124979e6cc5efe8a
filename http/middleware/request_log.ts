/**
 * One log line per request and per firing on stdout: JSON (one object per line, for log
 * shippers), pretty (one short human line) or nothing. A fire request is one line, naming the
 * firing it made. Lines are buffered and written once per tick (logger.ts `batchedLines`). The same middleware feeds the HTTP
 * metrics, labelled by route pattern (`/api/triggers/:id`), never by raw path.
 */
import type { Context, MiddlewareHandler } from "hono";
import { matchedRoutes } from "hono/route";
import type { FiringListener } from "../../core/firing_bus.ts";
import type { Metrics } from "../../core/metrics.ts";
import { firedBy } from "../../routes/fired_mark.ts";
import { clientAddress } from "./rate_limit.ts";

export type LogFormat = "json" | "pretty" | "off";

/** A structured log event; `msg` names its kind ("request", "fired"). */
export interface LogEvent {
  time: string;
  msg: string;
  [field: string]: unknown;
}

export type LogSink = (event: LogEvent) => void;

/**
 * A sink writing `format` lines with `write` (console.log by default); null for "off", so
 * callers build no event at all (`sink?.(...)` evaluates nothing when there is no sink).
 */
export function logSink(
  format: LogFormat,
  write: (line: string) => void = (l) => console.log(l),
): LogSink | null {
  if (format === "off") return null;
  // `{"level":"info",` spliced in front: no copy of the event to put the level first.
  if (format === "json") return (e) => write('{"level":"info",' + JSON.stringify(e).slice(1));
  return (e) => write(prettyLine(e));
}

function prettyLine(e: LogEvent): string {
  if (e.msg === "request") {
    const fired = e.logId === undefined ? "" : ` fired "${e.triggerName}" log=${e.logId}`;
    return `${e.time} ${e.method} ${e.path} ${e.status} ${e.durationMs}ms${fired}`;
  }
  if (e.msg === "fired") {
    const late = e.lateMs === null || e.lateMs === undefined ? "" : `, ${e.lateMs}ms late`;
    const what = `${e.test ? "test " : ""}${e.catchUp ? "catch-up " : ""}`;
    return `${e.time} fired ${what}"${e.triggerName}" (${e.source}${late}) ${e.outcome} log=${e.logId}`;
  }
  const { time, msg, ...rest } = e;
  return `${time} ${msg} ${JSON.stringify(rest)}`;
}

/** The route pattern a request matched (`/api/triggers/:id`), or "unmatched". */
export function routeLabel(c: Context): string {
  const routes = matchedRoutes(c).filter((r) => r.method !== "ALL");
  return routes.length ? routes[routes.length - 1].path : "unmatched";
}

const METHODS = new Set(["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]);

/** The metrics label of a method: any other token a client sends is "OTHER" (one series). */
function methodLabel(method: string): string {
  return METHODS.has(method) ? method : "OTHER";
}

/**
 * Times every request, counts it in `metrics` (by method, route pattern, status) and logs it to
 * `sink`. Register it first, so it sees the final status of everything after it (401, 429, 503).
 */
export function observeRequests(metrics: Metrics | null, sink: LogSink | null): MiddlewareHandler {
  return async (c, next) => {
    const started = performance.now();
    await next();
    const seconds = (performance.now() - started) / 1000;
    const route = routeLabel(c);
    metrics?.request(methodLabel(c.req.method), route, c.res.status, seconds);
    // Health probes (Docker's HEALTHCHECK, load balancers) would drown the log: counted, not logged.
    if (route === "/healthz" && c.res.status === 200) return;
    if (!sink) return;
    const fired = firedBy(c);
    sink({
      time: new Date().toISOString(),
      msg: "request",
      method: c.req.method,
      path: c.req.path,
      route,
      status: c.res.status,
      durationMs: Math.round(seconds * 1e5) / 100,
      client: clientAddress(c),
      ...(fired
        ? { logId: fired.id, triggerId: fired.triggerId, triggerName: fired.triggerName }
        : {}),
    });
  };
}

/** Sources whose firings are made by a request that logs them (see `markFired`). */
const BY_REQUEST = new Set(["api", "manual"]);

/**
 * A FiringBus listener writing one "fired" event per firing the scheduler or a test makes;
 * on-demand firings (api, manual) are named by the request line of the request that made them.
 */
export function firingLogger(sink: LogSink): FiringListener {
  return (logs) => {
    for (const l of logs) {
      if (BY_REQUEST.has(l.source)) continue;
      sink({
        time: l.firedAt,
        msg: "fired",
        logId: l.id,
        triggerId: l.triggerId,
        triggerName: l.triggerName,
        source: l.source,
        test: l.test,
        scheduledFor: l.scheduledFor,
        lateMs: l.lateMs,
        catchUp: l.catchUp,
        outcome: l.outcome,
      });
    }
  };
}
