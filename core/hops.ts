/**
 * Loop protection: every delivery carries `Tock-Hops: <n>`, and a fire request that arrives
 * with it fires with n + 1, so a webhook aimed at its own trigger's `/fire` (or at another
 * Tock that points back) stops after MAX_HOPS rounds with a 508 instead of firing forever.
 */
import { LoopDetectedError, ValidationError } from "./errors.ts";

/** A fire request arriving with this many hops (or more) is refused. */
export const MAX_HOPS = 8;

/** The header every delivery carries. */
export const HOPS_HEADER = "Tock-Hops";

/**
 * The hop count the firing of a request with `Tock-Hops: headerValue` delivers with: 1 without
 * the header, n + 1 with it. LoopDetectedError (508) at n >= MAX_HOPS; 400 when malformed.
 * @example hopsFrom(c.req.header("tock-hops")) // 1, or n + 1
 */
export function hopsFrom(headerValue: string | null | undefined): number {
  if (headerValue === null || headerValue === undefined) return 1;
  const text = headerValue.trim();
  if (!/^\d{1,9}$/.test(text)) {
    throw new ValidationError(`Invalid ${HOPS_HEADER} header "${text.slice(0, 32)}"`, [{
      path: HOPS_HEADER,
      message: "Expected a non-negative integer",
    }]);
  }
  const n = Number(text);
  if (n >= MAX_HOPS) {
    throw new LoopDetectedError(
      `The request came through ${n} webhook hops (at most ${
        MAX_HOPS - 1
      }): a delivery loop; nothing was fired`,
    );
  }
  return n + 1;
}
