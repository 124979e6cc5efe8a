/**
 * Request timeouts (hono/timeout): a request that has not produced its response within `ms`
 * gets a 503 problem; its work may still complete (a firing whose commit lands late is logged as
 * usual). Scoped where it is registered: app.ts mounts the live event stream before it.
 */
import type { MiddlewareHandler } from "hono";
import { HTTPException } from "hono/http-exception";
import { timeout } from "hono/timeout";

/** The middleware; onError turns its HTTPException into a problem (or `{ error }`). */
export function requestTimeout(ms: number): MiddlewareHandler {
  return timeout(
    ms,
    () => new HTTPException(503, { message: `The request took longer than ${ms} ms` }),
  );
}
