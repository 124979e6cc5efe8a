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
import { TcpClient } from "./tcp_client.ts";

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
