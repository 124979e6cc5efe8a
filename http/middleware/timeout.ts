/**
 * Request timeouts: a request that has not produced its response within `ms` gets a 503
 * problem; its work may still complete (a firing whose commit lands late is logged as usual).
 * Scoped where it is registered: app.ts mounts the live event stream before it.
 *
 * Not hono/timeout, which arms and clears a timer per request (the costliest middleware on the
 * fire path): every request under one middleware has the same timeout, so one shared interval
 * serves them all (core/deadlines.ts). A deadline may run late by up to one tick (a twentieth
 * of the timeout, at most 1 s).
 */
import type { MiddlewareHandler } from "hono";
import { HTTPException } from "hono/http-exception";
import { FifoDeadlines } from "../../core/deadlines.ts";

/** The middleware; onError turns its HTTPException into a problem (or `{ error }`). */
export function requestTimeout(ms: number): MiddlewareHandler {
  const deadlines = new FifoDeadlines(ms);
  const error = () => new HTTPException(503, { message: `The request took longer than ${ms} ms` });
  // Not async: the race's promise is the middleware's (Hono only awaits it).
  return (_c, next) => deadlines.race(next(), error);
}
