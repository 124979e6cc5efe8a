/**
 * API keys: with `--api-key` set, every request needs `Authorization: Bearer <key>` except the
 * few paths that must work without one (health checks, the API description, the UI shell).
 */
import type { MiddlewareHandler } from "hono";
import { UnauthorizedError } from "../errors.ts";

/** Paths that stay open with a key configured; everything else needs the key. */
export function isOpenPath(path: string): boolean {
  return path === "/" || path === "/healthz" || path === "/openapi.json" ||
    path === "/docs" || path.startsWith("/docs/") || path.startsWith("/static/") ||
    path === "/favicon.ico";
}

async function sha256(text: string): Promise<Uint8Array> {
  return new Uint8Array(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(text)));
}

/**
 * Compares two equal-length digests without an early exit, so the time taken does not tell how
 * many leading bytes matched. Hashing first makes every comparison the same length (32 bytes)
 * whatever the length of the key presented.
 */
export function timingSafeEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= a[i] ^ b[i];
  return diff === 0;
}

/** A checker for a set of keys: true when `presented` is one of them. Checks every key. */
export function keyChecker(keys: readonly string[]): (presented: string) => Promise<boolean> {
  const digests = Promise.all(keys.map(sha256));
  return async (presented) => {
    const [want, got] = [await digests, await sha256(presented)];
    let ok = false;
    for (const d of want) ok = timingSafeEqual(d, got) || ok;
    return ok;
  };
}

/** The bearer token of an Authorization header, or null. */
export function bearerToken(header: string | undefined): string | null {
  const m = /^Bearer[ ]+([^\s]+)\s*$/i.exec(header ?? "");
  return m ? m[1] : null;
}

/**
 * Requires one of `keys` as a bearer token on every path but the open ones. No keys: a no-op.
 * A 401 is thrown as UnauthorizedError, so app.onError answers problem+json (or `{ error }` on
 * the reference paths).
 */
export function apiKeyAuth(keys: readonly string[]): MiddlewareHandler {
  if (keys.length === 0) return async (_c, next) => await next();
  const check = keyChecker(keys);
  return async (c, next) => {
    if (c.req.method === "OPTIONS" || isOpenPath(c.req.path)) return await next();
    const token = bearerToken(c.req.header("Authorization"));
    if (token === null) {
      c.header("WWW-Authenticate", 'Bearer realm="tock"');
      throw new UnauthorizedError("An API key is required: send Authorization: Bearer <key>");
    }
    if (!(await check(token))) {
      c.header("WWW-Authenticate", 'Bearer realm="tock", error="invalid_token"');
      throw new UnauthorizedError("The API key is not valid");
    }
    await next();
  };
}

function isLoopback(hostname: string): boolean {
  return hostname === "localhost" || hostname === "::1" || hostname.startsWith("127.");
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
  const onDeploy = env.get("DENO_DEPLOYMENT_ID") !== undefined;
  if (isLoopback(config.hostname) && !onDeploy) return null;
  const where = onDeploy ? "on Deno Deploy" : `on ${config.hostname}`;
  return `tock: WARNING: listening ${where} without an API key: anyone who can reach it can ` +
    `create, change and fire triggers. Set --api-key (or TOCK_API_KEY).`;
}
