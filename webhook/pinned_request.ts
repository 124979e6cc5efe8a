/**
 * The delivery transport that connects where the destination check looked: `node:http(s)` with
 * a `lookup` that resolves the host once, refuses the attempt when an answer is a blocked
 * address (address_policy.ts), and hands the connection exactly the answers it checked. A DNS
 * answer that changes between the check and the connection (rebinding) therefore cannot steer
 * a delivery anywhere the check did not see. TLS still verifies the certificate against the
 * URL's host name, and the request carries that name as its `Host`.
 *
 * Kept-alive connections are reused only to the same host and port, and each was checked when
 * it opened; at most 4 per destination stay open idle, for at most 15 s. `close()` ends them
 * (the outbox calls it when it stops).
 */
import http from "node:http";
import https from "node:https";
import tls from "node:tls";
import type { LookupFunction } from "node:net";
import { onDenoDeploy } from "../core/config.ts";
import { processQueueEnv } from "../db/queues.ts";
import {
  addressProblem,
  BlockedDestination,
  literalAddress,
  type Resolver,
} from "./address_policy.ts";

/** What came back: the status, `Retry-After`, and at most `maxBytes` of the body as text. */
export interface Exchange {
  status: number;
  retryAfter: string | null;
  text: string;
}

export interface ExchangeRequest {
  url: string;
  method: string;
  headers: Record<string, string>;
  body: string;
}

/**
 * Request headers the transport owns, as `fetch` does: a webhook's own `Host` or framing
 * headers would otherwise reach the wire as written and could break the request's framing.
 */
const TRANSPORT_HEADERS = new Set([
  "host",
  "content-length",
  "transfer-encoding",
  "connection",
  "keep-alive",
  "te",
  "trailer",
  "upgrade",
  "expect",
  "proxy-connection",
]);

export interface PinnedOptions {
  denyPrivate: boolean;
  resolve: Resolver;
  /**
   * Extra root certificates (PEM) trusted beside the bundled ones. Default: the file named by
   * `DENO_CERT`, which `fetch` honours and `node:https` does not read by itself.
   */
  extraCa?: string[];
  /** How long a kept-alive connection may sit idle before it is closed; default 15 s. */
  idleMs?: number;
}

/** Idle connections kept per host and port: the deliveries one destination may have at once. */
const IDLE_PER_HOST = 4;

export class PinnedTransport {
  /** `--webhook-deny-private`: loopback, private, link-local and CGNAT addresses are refused. */
  readonly denyPrivate: boolean;
  /**
   * Whether `send` may be used. Not when Deno restricts the network (`--allow-net=<hosts>`):
   * Deno judges a connection by the address it goes to, so a pinned connection would be
   * refused for the host name the operator allowed. Not on Deno Deploy either, which has no
   * private network of yours to reach and where `fetch` is the platform's own client. Not with
   * an outbound proxy in the environment (`HTTP_PROXY`, `HTTPS_PROXY`), which `fetch` uses and
   * this transport does not: the proxy makes the connections there.
   */
  readonly usable: boolean;
  readonly #resolve: Resolver;
  readonly #agents: { "http:": http.Agent; "https:": https.Agent };

  constructor(opts: PinnedOptions) {
    this.denyPrivate = opts.denyPrivate;
    this.usable = netUnrestricted() && !onDenoDeploy(processQueueEnv()) && !proxyFromEnv();
    this.#resolve = opts.resolve;
    const extra = opts.extraCa ?? denoCert();
    // Idle connections are bounded in number and time: kept forever, every webhook host ever
    // delivered to would hold its sockets open.
    const pool = { keepAlive: true, maxFreeSockets: IDLE_PER_HOST, timeout: opts.idleMs ?? 15_000 };
    this.#agents = {
      "http:": new http.Agent(pool),
      "https:": new https.Agent({
        ...pool,
        // Naming `ca` replaces the default roots (bundled, the system's, NODE_EXTRA_CA_CERTS),
        // so it names them too, and only when there is something to add.
        ...(extra.length ? { ca: [...tls.getCACertificates("default"), ...extra] } : {}),
      }),
    };
  }

  /**
   * Sends `req` and reads at most `maxBytes` of the answer. Rejects with BlockedDestination
   * for a refused address, with the signal's reason when `signal` aborts, and with the
   * network's error otherwise.
   */
  send(req: ExchangeRequest, signal: AbortSignal, maxBytes: number): Promise<Exchange> {
    const url = new URL(req.url);
    const literal = literalAddress(url.hostname);
    if (literal !== null) {
      const problem = addressProblem([literal], this.denyPrivate);
      if (problem) return Promise.reject(new BlockedDestination(problem));
    }
    const secure = url.protocol === "https:";
    const headers: Record<string, string> = {};
    for (const [name, value] of Object.entries(req.headers)) {
      if (!TRANSPORT_HEADERS.has(name.toLowerCase())) headers[name] = value;
    }
    const body = new TextEncoder().encode(req.body);
    headers["Content-Length"] = String(body.byteLength);
    const basic = basicAuth(url);
    if (basic && !Object.keys(headers).some((h) => h.toLowerCase() === "authorization")) {
      headers["Authorization"] = basic;
    }
    return new Promise<Exchange>((resolve, reject) => {
      signal.throwIfAborted();
      const out = (secure ? https : http).request({
        protocol: url.protocol,
        hostname: literal ?? url.hostname,
        // The name the certificate must carry (a literal address has none to send).
        servername: secure && literal === null ? url.hostname : undefined,
        port: url.port || (secure ? 443 : 80),
        path: url.pathname + url.search,
        method: req.method,
        headers: { ...headers, Host: url.host },
        agent: this.#agents[secure ? "https:" : "http:"],
        lookup: this.#lookup,
      }, (res) => {
        const chunks: Uint8Array[] = [];
        let size = 0;
        const done = () => {
          signal.removeEventListener("abort", abort);
          resolve({
            status: res.statusCode ?? 0,
            retryAfter: header(res.headers["retry-after"]),
            text: new TextDecoder().decode(concatBytes(chunks, size)),
          });
        };
        res.on("data", (chunk: Uint8Array) => {
          if (size >= maxBytes) return;
          const part = chunk.byteLength > maxBytes - size
            ? chunk.subarray(0, maxBytes - size)
            : chunk;
          chunks.push(part);
          size += part.byteLength;
          if (size >= maxBytes) {
            // Enough read: the rest is let go with the connection.
            res.destroy();
            done();
          }
        });
        res.on("end", done);
        res.on("error", fail);
        res.on("close", () => {
          if (!res.complete && size < maxBytes) fail(new Error("The response was cut off"));
        });
      });
      const abort = () => out.destroy(signal.reason);
      function fail(err: unknown) {
        signal.removeEventListener("abort", abort);
        reject(err);
      }
      signal.addEventListener("abort", abort, { once: true });
      out.on("error", fail);
      out.end(body);
    });
  }

  /** Ends the kept-alive connections. */
  close(): void {
    this.#agents["http:"].destroy();
    this.#agents["https:"].destroy();
  }

  /** Resolves once, refuses what the policy refuses, answers only what it checked. */
  #lookup: LookupFunction = (hostname, options, callback) => {
    this.#resolve(hostname).then((found) => {
      const problem = addressProblem(found.map((a) => a.address), this.denyPrivate);
      if (problem) throw new BlockedDestination(problem);
      const usable = options.family === 4 || options.family === 6
        ? found.filter((a) => a.family === options.family)
        : found;
      if (usable.length === 0) throw new Error(`No address found for "${hostname}"`);
      if (options.all) callback(null, usable);
      else callback(null, usable[0].address, usable[0].family);
    }).catch((err) => callback(err, "", 0));
  };
}

/** Whether the environment names an outbound proxy, which `fetch` would go through. */
function proxyFromEnv(): boolean {
  try {
    return ["HTTP_PROXY", "HTTPS_PROXY", "http_proxy", "https_proxy"].some((v) =>
      (Deno.env.get(v) ?? "") !== ""
    );
  } catch {
    return false;
  }
}

function netUnrestricted(): boolean {
  try {
    return Deno.permissions.querySync({ name: "net" }).state === "granted";
  } catch {
    return false;
  }
}

/**
 * A URL's user and password as Basic authorization, as `fetch` sends them (decoded, UTF-8,
 * base64), or null when it has neither.
 */
function basicAuth(url: URL): string | null {
  if (url.username === "" && url.password === "") return null;
  // A part that does not decode ("%zz") goes as written rather than failing every attempt.
  const decode = (part: string) => {
    try {
      return decodeURIComponent(part);
    } catch {
      return part;
    }
  };
  const pair = `${decode(url.username)}:${decode(url.password)}`;
  const bytes = new TextEncoder().encode(pair);
  return `Basic ${btoa(String.fromCharCode(...bytes))}`;
}

/** The certificates in the file `DENO_CERT` names, if any. */
function denoCert(): string[] {
  try {
    const path = Deno.env.get("DENO_CERT");
    return path ? [Deno.readTextFileSync(path)] : [];
  } catch {
    return [];
  }
}

function header(value: string | string[] | undefined): string | null {
  return Array.isArray(value) ? value.join(", ") : value ?? null;
}

/** `chunks` (of `size` bytes in all) as one array. */
export function concatBytes(chunks: Uint8Array[], size: number): Uint8Array {
  const bytes = new Uint8Array(size);
  let offset = 0;
  for (const c of chunks) {
    bytes.set(c, offset);
    offset += c.byteLength;
  }
  return bytes;
}
