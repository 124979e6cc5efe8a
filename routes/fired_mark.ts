/**
 * A fire route marks its request with the firing it made, so the request's log line names it
 * and the firing logger writes no second line (one line per firing). Routes set the mark; the
 * request-log middleware (http/) reads it.
 */
import type { Context } from "hono";

/** The context key a fire route sets to the firing it made. */
const FIRED = "tockFired";

/** What the request line says of the firing. */
export type FiredBy = { id: string; triggerId: string | null; triggerName: string };

/** Marks the request as the one that made firing `log`. */
export function markFired(c: Context, log: FiredBy): void {
  c.set(FIRED as never, log as never);
}

/** The firing the request made, when it made one. */
export function firedBy(c: Context): FiredBy | undefined {
  return c.get(FIRED as never) as FiredBy | undefined;
}
