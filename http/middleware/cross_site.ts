/**
 * Cross-site protection, on by default: a web page the operator visits must not drive Tock.
 * - `hostGuard`: bound to loopback (and not on Deno Deploy), answer only to loopback names and
 *   `--allowed-host`, so a DNS-rebound name reaches nothing.
 * - `sameOriginWrites`: an unsafe request from a browser on another origin is 403. Requests
 *   without `Origin` (curl, the CLI, servers) pass.
 * hono/csrf is not used: it checks only form and text/plain bodies, lets `Sec-Fetch-Site` vouch
 * for a foreign `Origin`, and refuses a body-less POST without `Origin` (curl), all unlike the
 * contract.
 */
import type { MiddlewareHandler } from "hono";
import { isLoopbackHost, onDenoDeploy } from "../../core/config.ts";
import { ForbiddenError } from "../../core/errors.ts";

const UNSAFE = new Set(["POST", "PUT", "PATCH", "DELETE"]);

/** Refuses a `Host` other than loopback names or `allowed` when bound to loopback. */
export function hostGuard(
  config: { hostname: string; allowedHosts: readonly string[] },
  env: { get(name: string): string | undefined } = Deno.env,
): MiddlewareHandler {
  if (!isLoopbackHost(config.hostname) || onDenoDeploy(env)) {
    return async (_c, next) => await next();
  }
  const allowed = new Set(config.allowedHosts.map((h) => h.toLowerCase()));
  return async (c, next) => {
    // Deno.serve builds the request URL from the Host header.
    const host = new URL(c.req.url).hostname.toLowerCase();
    if (!isLoopbackHost(host) && !allowed.has(host)) {
      throw new ForbiddenError(
        `This server does not answer to the host "${host}" (see --allowed-host)`,
      );
    }
    await next();
  };
}

/**
 * Refuses unsafe methods sent by a browser from another site: `Sec-Fetch-Site: cross-site`, or
 * an `Origin` that is neither this server's (by host, http or https: TLS may end at a proxy) nor
 * one of `origins` (`--cors-origin`).
 */
export function sameOriginWrites(origins: readonly string[]): MiddlewareHandler {
  const allowed = new Set(origins);
  return async (c, next) => {
    if (!UNSAFE.has(c.req.method)) return await next();
    const origin = c.req.header("Origin");
    const site = c.req.header("Sec-Fetch-Site");
    if (origin !== undefined && !allowed.has(origin) && !sameHost(origin, c.req.url)) {
      throw new ForbiddenError(
        `Requests from the origin "${origin}" are not allowed (see --cors-origin)`,
      );
    }
    if (site === "cross-site" && (origin === undefined || !allowed.has(origin))) {
      throw new ForbiddenError("Cross-site requests are not allowed (see --cors-origin)");
    }
    await next();
  };
}

function sameHost(origin: string, requestUrl: string): boolean {
  try {
    const o = new URL(origin);
    return /^https?:$/.test(o.protocol) && o.host === new URL(requestUrl).host;
  } catch {
    return false; // "null" (sandboxed frames, file:) and garbage
  }
}
