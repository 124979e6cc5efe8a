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
import { passThrough } from "./pass_through.ts";

const UNSAFE = new Set(["POST", "PUT", "PATCH", "DELETE"]);

/** Refuses a `Host` other than loopback names or `allowed` when bound to loopback. */
export function hostGuard(
  config: { hostname: string; allowedHosts: readonly string[] },
  env: { get(name: string): string | undefined } = Deno.env,
): MiddlewareHandler {
  if (!isLoopbackHost(config.hostname) || onDenoDeploy(env)) return passThrough;
  const allowed = new Set(config.allowedHosts.map((h) => h.toLowerCase()));
  /** Verdicts by the URL's authority (host and port), so a URL is parsed once per authority. */
  const known = new Map<string, string | null>();
  // Not async: nothing runs after next(), and an async wrapper costs a promise per request.
  return (c, next) => {
    // Deno.serve builds the request URL from the Host header.
    const url = c.req.url;
    const start = url.indexOf("//") + 2;
    const end = url.indexOf("/", start);
    const authority = url.slice(start, end < 0 ? undefined : end);
    let refused = known.get(authority);
    if (refused === undefined) {
      const host = new URL(url).hostname.toLowerCase();
      refused = isLoopbackHost(host) || allowed.has(host) ? null : host;
      // Bounded: a client sending many Host names only makes this cache start over.
      if (known.size >= 64) known.clear();
      known.set(authority, refused);
    }
    if (refused !== null) {
      throw new ForbiddenError(
        `This server does not answer to the host "${refused}" (see --allowed-host)`,
      );
    }
    return next();
  };
}

/**
 * Refuses unsafe methods sent by a browser from another site: `Sec-Fetch-Site: cross-site`, or
 * an `Origin` that is neither this server's (by host, http or https: TLS may end at a proxy) nor
 * one of `origins` (`--cors-origin`).
 */
export function sameOriginWrites(origins: readonly string[]): MiddlewareHandler {
  const allowed = new Set(origins);
  return (c, next) => {
    if (!UNSAFE.has(c.req.method)) return next();
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
    return next();
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
