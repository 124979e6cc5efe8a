/** The middleware of a check that is switched off. */
import type { MiddlewareHandler } from "hono";

/** Calls the next handler and nothing else; not async, so it costs no promise of its own. */
export const passThrough: MiddlewareHandler = (_c, next) => next();
