/**
 * Request timeouts: a request that has not produced its response within `ms` gets a 503
 * problem; its work may still complete (a firing whose commit lands late is logged as usual).
 * Scoped where it is registered: app.ts mounts the live event stream before it.
 *
 * Not hono/timeout, which arms and clears a timer per request (the costliest middleware on the
 * fire path). Every request under one middleware has the same timeout, so deadlines arrive in
 * the order requests do: one shared interval walks the pending requests from the oldest and
 * stops at the first whose deadline is still ahead. A deadline is never cut short; it may run
 * late by up to one tick (a twentieth of the timeout, at most 1 s).
 */
import type { MiddlewareHandler } from "hono";
import { HTTPException } from "hono/http-exception";

/** The middleware; onError turns its HTTPException into a problem (or `{ error }`). */
export function requestTimeout(ms: number): MiddlewareHandler {
  /** Pending requests in arrival order, hence in deadline order. */
  const pending = new Map<number, { deadline: number; expire: () => void }>();
  const tickMs = Math.max(5, Math.min(1_000, Math.floor(ms / 20)));
  let seq = 0;
  let timer: ReturnType<typeof setInterval> | undefined;
  const stop = () => {
    clearInterval(timer);
    timer = undefined;
  };
  const sweep = () => {
    const now = performance.now();
    for (const [id, p] of pending) {
      if (p.deadline > now) break;
      pending.delete(id);
      p.expire();
    }
    if (pending.size === 0) stop();
  };
  return async (_c, next) => {
    const id = seq++;
    const expired = Promise.withResolvers<never>();
    pending.set(id, {
      deadline: performance.now() + ms,
      expire: () =>
        expired.reject(
          new HTTPException(503, { message: `The request took longer than ${ms} ms` }),
        ),
    });
    timer ??= setInterval(sweep, tickMs);
    try {
      await Promise.race([next(), expired.promise]);
    } finally {
      pending.delete(id);
      // Idle: no interval left running (nothing to time, and tests check for leaked timers).
      if (pending.size === 0) stop();
    }
  };
}
