/**
 * Request timeouts: a request that has not produced its response within `ms` gets a 503
 * problem (its work may still complete: a firing whose commit lands late is logged as usual).
 * Not applied to the live event stream, and `/test_trigger` gets its own allowed wait on top.
 */
import type { MiddlewareHandler } from "hono";
import { UnavailableError } from "../errors.ts";

/** Long-lived responses that must never be cut: `GET /api/events` (SSE). */
function exempt(method: string, path: string): boolean {
  return method === "GET" && path === "/api/events";
}

/**
 * The middleware. `/test_trigger` may wait up to its `delay_seconds` (the route caps that below
 * the timeout) before firing, so its deadline is twice the timeout: the wait plus the work.
 */
export function requestTimeout(ms: number): MiddlewareHandler {
  return async (c, next) => {
    if (exempt(c.req.method, c.req.path)) return await next();
    const limit = c.req.path === "/test_trigger" ? 2 * ms : ms;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const work = next();
    const expired = new Promise<"timeout">((resolve) => {
      timer = setTimeout(() => resolve("timeout"), limit);
    });
    try {
      const winner = await Promise.race([work.then(() => "done" as const), expired]);
      if (winner === "timeout") {
        work.catch(() => {}); // finishes in the background; its answer is dropped
        throw new UnavailableError(`The request took longer than ${limit} ms`);
      }
    } finally {
      clearTimeout(timer);
    }
  };
}
