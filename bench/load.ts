/**
 * A small HTTP load generator: N concurrent fetch loops (Deno's fetch keeps connections alive,
 * so N loops use about N connections), bounded in requests and in time. Run it as its own
 * process so it does not share an event loop with the server it measures:
 *
 *   deno run -A bench/load.ts --url http://127.0.0.1:8000/api/triggers/ID/fire \
 *     --method POST --body '{"n":{{n}}}' --connections 50 --duration 10s
 *
 * `{{n}}` in the URL or body becomes the request's sequence number (0, 1, 2, ...). Prints one
 * JSON object (LoadResult). Loopback only: it refuses any other host.
 */
import { parseArgs } from "node:util";
import { cpuUsage } from "node:process";

export interface LoadOptions {
  /** Target URLs; request n goes to urls[n % urls.length]. */
  urls: string[];
  method?: string;
  /** Request body; `{{n}}` becomes the request's sequence number. */
  body?: string;
  /** Several bodies: request n sends bodies[n % bodies.length] (instead of `body`). */
  bodies?: string[];
  headers?: Record<string, string>;
  connections?: number;
  /** Stop starting requests after this long (ms). */
  durationMs?: number;
  /** Stop after this many requests. */
  maxRequests?: number;
  /** Unmeasured requests first (ms of warm-up). */
  warmupMs?: number;
  /** Collect the `"id"` of each 2xx JSON answer to count distinct ones. */
  collectIds?: boolean;
  /**
   * "fetch" (default): Deno's fetch, keep-alive. "tcp": one hand-written HTTP/1.1 keep-alive
   * connection per loop, several times cheaper per request in CPU: it shows what the server
   * does when the client on the same 2 cores costs less.
   */
  client?: "fetch" | "tcp";
}

export interface LoadResult {
  /** 2xx answers during the warm-up (not measured, but their effects are stored). */
  warmupOk: number;
  requests: number;
  ok: number;
  /** Answers by status code (and "error" for failed fetches). */
  statuses: Record<string, number>;
  durationMs: number;
  /** 2xx answers per second. */
  rps: number;
  latencyMs: { p50: number; p90: number; p99: number; max: number; mean: number };
  /** CPU time this load generator used during the measured part (user + system, ms). */
  cpuMs: number;
  /** With collectIds: distinct ids among the 2xx answers, and how many repeated one. */
  distinctIds?: number;
  duplicateIds?: number;
  firstError?: string;
}

const ID_RE = /"id":"([^"]+)"/;

function pct(sorted: Float64Array, p: number): number {
  if (sorted.length === 0) return 0;
  const i = Math.min(sorted.length - 1, Math.floor(p * sorted.length));
  return Math.round(sorted[i] * 100) / 100;
}

const CRLFCRLF = [13, 10, 13, 10];
const enc = new TextEncoder();
const latin1 = new TextDecoder("latin1");
const utf8 = new TextDecoder();

function indexOfSeq(buf: Uint8Array, seq: number[], from = 0): number {
  outer: for (let i = from; i <= buf.length - seq.length; i++) {
    for (let j = 0; j < seq.length; j++) if (buf[i + j] !== seq[j]) continue outer;
    return i;
  }
  return -1;
}

/** One HTTP/1.1 keep-alive connection; requests one at a time (no pipelining). */
class TcpClient {
  #conn: Deno.TcpConn | null = null;
  #buf = new Uint8Array(0);
  #scratch = new Uint8Array(64 * 1024);

  async request(
    url: URL,
    method: string,
    headers: Record<string, string>,
    body: string | undefined,
  ): Promise<{ status: number; text: string }> {
    try {
      this.#conn ??= await Deno.connect({ hostname: url.hostname, port: Number(url.port) });
      const payload = body === undefined ? new Uint8Array(0) : enc.encode(body);
      let head = `${method} ${url.pathname}${url.search} HTTP/1.1\r\nhost: ${url.host}\r\n`;
      for (const [k, v] of Object.entries(headers)) head += `${k}: ${v}\r\n`;
      head += `content-length: ${payload.length}\r\n\r\n`;
      const h = enc.encode(head);
      const out = new Uint8Array(h.length + payload.length);
      out.set(h);
      out.set(payload, h.length);
      for (let off = 0; off < out.length;) off += await this.#conn.write(out.subarray(off));
      let end: number;
      while ((end = indexOfSeq(this.#buf, CRLFCRLF)) < 0) await this.#fill();
      const header = latin1.decode(this.#buf.subarray(0, end));
      const status = Number(header.slice(9, 12));
      const rest = this.#buf.subarray(end + 4);
      const len = /\r\ncontent-length:\s*(\d+)/i.exec(header);
      let bodyBytes: Uint8Array<ArrayBufferLike>;
      if (len) {
        const n = Number(len[1]);
        this.#buf = rest;
        while (this.#buf.length < n) await this.#fill();
        bodyBytes = this.#buf.subarray(0, n);
        this.#buf = this.#buf.subarray(n);
      } else if (/\r\ntransfer-encoding:\s*chunked/i.test(header)) {
        const parts: Uint8Array[] = [];
        this.#buf = rest;
        for (;;) {
          let eol: number;
          while ((eol = indexOfSeq(this.#buf, [13, 10])) < 0) await this.#fill();
          const size = parseInt(latin1.decode(this.#buf.subarray(0, eol)), 16);
          while (this.#buf.length < eol + 2 + size + 2) await this.#fill();
          if (size === 0) {
            this.#buf = this.#buf.subarray(eol + 4);
            break;
          }
          parts.push(this.#buf.slice(eol + 2, eol + 2 + size));
          this.#buf = this.#buf.subarray(eol + 2 + size + 2);
        }
        bodyBytes = new Uint8Array(parts.reduce((a, p) => a + p.length, 0));
        let off = 0;
        for (const p of parts) {
          bodyBytes.set(p, off);
          off += p.length;
        }
      } else {
        bodyBytes = new Uint8Array(0);
        this.#buf = rest;
      }
      return { status, text: utf8.decode(bodyBytes) };
    } catch (err) {
      this.#conn?.close();
      this.#conn = null;
      this.#buf = new Uint8Array(0);
      throw err;
    }
  }

  async #fill(): Promise<void> {
    const n = await this.#conn!.read(this.#scratch);
    if (n === null) throw new Error("connection closed by the server");
    const next = new Uint8Array(this.#buf.length + n);
    next.set(this.#buf);
    next.set(this.#scratch.subarray(0, n), this.#buf.length);
    this.#buf = next;
  }

  close(): void {
    this.#conn?.close();
    this.#conn = null;
  }
}

function assertLoopback(url: string): void {
  const host = new URL(url).hostname;
  if (host !== "127.0.0.1" && host !== "localhost" && host !== "[::1]") {
    throw new Error(`load is generated on loopback only, not "${host}"`);
  }
}

/** Runs the load in this process and returns what it measured. */
export async function runLoad(o: LoadOptions): Promise<LoadResult> {
  for (const u of o.urls) assertLoopback(u);
  const conns = o.connections ?? 50;
  const maxRequests = o.maxRequests ?? Infinity;
  const method = o.method ?? "GET";
  const headers = {
    ...(o.body !== undefined || o.bodies ? { "content-type": "application/json" } : {}),
    ...o.headers,
  };
  const bodies = o.bodies ?? (o.body !== undefined ? [o.body] : [undefined]);
  const templated = bodies.some((b) => b?.includes("{{n}}")) ||
    o.urls.some((u) => u.includes("{{n}}"));
  const lat = new Float64Array(Math.min(Number.isFinite(maxRequests) ? maxRequests : 4e6, 4e6));
  const statuses: Record<string, number> = {};
  const ids = o.collectIds ? new Set<string>() : null;
  let duplicates = 0;
  let seq = 0;
  let measured = 0;
  let ok = 0;
  let warmupOk = 0;
  let firstError: string | undefined;

  const send = async (client: TcpClient | null, url: string, body: string | undefined) => {
    if (client) return await client.request(new URL(url), method, headers, body);
    const res = await fetch(url, { method, headers, body });
    return { status: res.status, text: await res.text() };
  };

  const one = async (record: boolean, client: TcpClient | null) => {
    const n = seq++;
    let url = o.urls[n % o.urls.length];
    let body = bodies[n % bodies.length];
    if (templated) {
      url = url.replaceAll("{{n}}", String(n));
      body = body?.replaceAll("{{n}}", String(n));
    }
    const t0 = performance.now();
    let status = "error";
    try {
      const res = await send(client, url, body);
      status = String(res.status);
      const text = res.text;
      const resOk = res.status >= 200 && res.status < 300;
      if (resOk && ids && record) {
        const m = ID_RE.exec(text);
        if (m) {
          if (ids.has(m[1])) duplicates++;
          else ids.add(m[1]);
        }
      }
      if (!resOk && firstError === undefined) firstError = `${res.status}: ${text.slice(0, 300)}`;
    } catch (err) {
      if (firstError === undefined) firstError = String(err);
    }
    const ms = performance.now() - t0;
    if (!record) {
      if (status[0] === "2") warmupOk++;
      return;
    }
    statuses[status] = (statuses[status] ?? 0) + 1;
    if (status[0] === "2") ok++;
    if (measured < lat.length) lat[measured] = ms;
    measured++;
  };

  const clients = Array.from({ length: conns }, () => o.client === "tcp" ? new TcpClient() : null);
  if (o.warmupMs) {
    const until = performance.now() + o.warmupMs;
    await Promise.all(clients.map(async (client) => {
      while (performance.now() < until) await one(false, client);
    }));
  }
  const cpu0 = cpuUsage();
  const start = performance.now();
  const deadline = start + (o.durationMs ?? 10_000);
  let started = 0;
  await Promise.all(clients.map(async (client) => {
    while (started < maxRequests && performance.now() < deadline) {
      started++;
      await one(true, client);
    }
  }));
  const durationMs = performance.now() - start;
  for (const c of clients) c?.close();
  const cpu = cpuUsage(cpu0);
  const sorted = lat.subarray(0, Math.min(measured, lat.length)).sort();
  let sum = 0;
  for (const v of sorted) sum += v;
  return {
    warmupOk,
    requests: measured,
    ok,
    statuses,
    durationMs: Math.round(durationMs),
    rps: Math.round(ok / (durationMs / 1000)),
    latencyMs: {
      p50: pct(sorted, 0.5),
      p90: pct(sorted, 0.9),
      p99: pct(sorted, 0.99),
      max: pct(sorted, 1),
      mean: sorted.length ? Math.round((sum / sorted.length) * 100) / 100 : 0,
    },
    cpuMs: Math.round((cpu.user + cpu.system) / 1000),
    ...(ids ? { distinctIds: ids.size, duplicateIds: duplicates } : {}),
    ...(firstError !== undefined ? { firstError } : {}),
  };
}

/** Runs bench/load.ts as a separate process (its own event loop) and parses its result. */
export async function spawnLoad(o: LoadOptions): Promise<LoadResult> {
  const args = ["run", "-A", new URL("./load.ts", import.meta.url).pathname];
  for (const u of o.urls) args.push("--url", u);
  if (o.method) args.push("--method", o.method);
  for (const b of o.bodies ?? (o.body !== undefined ? [o.body] : [])) args.push("--body", b);
  for (const [k, v] of Object.entries(o.headers ?? {})) args.push("--header", `${k}: ${v}`);
  args.push("--connections", String(o.connections ?? 50));
  args.push("--duration", `${o.durationMs ?? 10_000}ms`);
  if (o.maxRequests !== undefined) args.push("--requests", String(o.maxRequests));
  if (o.warmupMs) args.push("--warmup", `${o.warmupMs}ms`);
  if (o.collectIds) args.push("--ids");
  if (o.client) args.push("--client", o.client);
  const out = await new Deno.Command(Deno.execPath(), { args, stdout: "piped", stderr: "piped" })
    .output();
  const text = new TextDecoder().decode(out.stdout);
  if (!out.success) {
    throw new Error(`load generator failed: ${new TextDecoder().decode(out.stderr)}`);
  }
  return JSON.parse(text) as LoadResult;
}

function ms(text: string): number {
  const m = /^(\d+(?:\.\d+)?)(ms|s)?$/.exec(text);
  if (!m) throw new Error(`not a duration: "${text}"`);
  return Number(m[1]) * (m[2] === "s" ? 1000 : 1);
}

if (import.meta.main) {
  const { values } = parseArgs({
    args: Deno.args,
    options: {
      url: { type: "string", multiple: true },
      method: { type: "string", default: "GET" },
      body: { type: "string", multiple: true },
      header: { type: "string", multiple: true },
      connections: { type: "string", default: "50" },
      duration: { type: "string", default: "10s" },
      requests: { type: "string" },
      warmup: { type: "string" },
      ids: { type: "boolean", default: false },
      client: { type: "string", default: "fetch" },
    },
  });
  if (!values.url?.length) {
    console.error("usage: load.ts --url URL [--method M] [--body B] [--connections N] ...");
    Deno.exit(2);
  }
  const headers: Record<string, string> = {};
  for (const h of values.header ?? []) {
    const i = h.indexOf(":");
    headers[h.slice(0, i).trim()] = h.slice(i + 1).trim();
  }
  const result = await runLoad({
    urls: values.url,
    method: values.method,
    bodies: values.body?.length ? values.body : undefined,
    headers,
    connections: Number(values.connections),
    durationMs: ms(values.duration!),
    maxRequests: values.requests ? Number(values.requests) : undefined,
    warmupMs: values.warmup ? ms(values.warmup) : 0,
    collectIds: values.ids,
    client: values.client === "tcp" ? "tcp" : "fetch",
  });
  console.log(JSON.stringify(result));
}
