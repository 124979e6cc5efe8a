/**
 * API keys: with `--api-key` set, the routes registered after this middleware need
 * `Authorization: Bearer <key>` (hono/bearer-auth, constant-time). Open routes (health, the API
 * description, the UI) are registered before it in app.ts. Failed attempts are limited per
 * client address, reads included, so keys cannot be guessed at speed.
 */
import type { MiddlewareHandler } from "hono";
import { bearerAuth } from "hono/bearer-auth";
import { isLoopbackHost, onDenoDeploy } from "../../core/config.ts";
import { RateLimitError, UnauthorizedError } from "../../core/errors.ts";
import { passThrough } from "./pass_through.ts";
import { clientAddress, type RateLimitOptions, TokenBuckets } from "./rate_limit.ts";

/** Failed authentications a client may make a minute before every request of its is a 429. */
export const AUTH_FAILURES_PER_MINUTE = 20;

const REQUIRED = "An API key is required: send Authorization: Bearer <key>";
const INVALID = "The API key is not valid";

/**
 * Requires one of `keys` as a bearer token; no keys: a no-op. Answers 401 as UnauthorizedError
 * (the app's onError formats it: a problem, or `{ error }` on the reference API) and, past
 * `AUTH_FAILURES_PER_MINUTE` failures from one address, 429 without looking at the key.
 */
export function apiKeyAuth(
  keys: readonly string[],
  opts: RateLimitOptions = {},
): MiddlewareHandler {
  if (keys.length === 0) return passThrough;
  // Thrown from bearer-auth's message hooks, so the answer is ours, not its plain text.
  const missing = (): never => {
    throw new UnauthorizedError(REQUIRED);
  };
  const malformed = (): never => {
    throw new UnauthorizedError(REQUIRED, 'Bearer realm="tock", error="invalid_request"');
  };
  const invalid = (): never => {
    throw new UnauthorizedError(INVALID, 'Bearer realm="tock", error="invalid_token"');
  };
  const check = bearerAuth({
    token: [...keys],
    noAuthenticationHeader: { message: missing },
    invalidAuthenticationHeader: { message: malformed },
    invalidToken: { message: invalid },
  });
  const failures = new TokenBuckets(AUTH_FAILURES_PER_MINUTE, opts);
  return async (c, next) => {
    // CORS preflights never carry credentials (hono/cors answers them before this runs).
    if (c.req.method === "OPTIONS") return await next();
    const client = clientAddress(c);
    const retryAfter = failures.wait(client);
    if (retryAfter > 0) {
      throw new RateLimitError(
        `More than ${AUTH_FAILURES_PER_MINUTE} failed authentications a minute from this ` +
          `client; retry in ${retryAfter} s`,
        retryAfter,
      );
    }
    try {
      await check(c, next);
    } catch (err) {
      if (err instanceof UnauthorizedError) failures.take(client);
      throw err;
    }
  };
}

/**
 * The warning `main.ts` prints at start when anyone who can reach the port can use the API:
 * bound beyond loopback (or on Deno Deploy, which is public) without an API key. Null otherwise.
 */
export function openAccessWarning(
  config: { hostname: string; apiKeys: readonly string[] },
  env: { get(name: string): string | undefined } = Deno.env,
): string | null {
  if (config.apiKeys.length > 0) return null;
  const onDeploy = onDenoDeploy(env);
  if (isLoopbackHost(config.hostname) && !onDeploy) return null;
  const where = onDeploy ? "on Deno Deploy" : `on ${config.hostname}`;
  return `tock: WARNING: listening ${where} without an API key: anyone who can reach it can ` +
    `create, change and fire triggers. Set --api-key (or TOCK_API_KEY).`;
}
