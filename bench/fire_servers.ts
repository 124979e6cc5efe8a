/**
 * Servers the benchmarks measure, each in its own process: Tock itself (main.ts) and the
 * baselines it is compared with. Run as a script, this file is a baseline server:
 *
 *   deno run -A bench/fire_servers.ts --mode hello|hono|kv-single|kv-group|create-single|create-group
 *     [--kv FILE]
 *
 * - hello: raw `Deno.serve` answering a constant (the HTTP ceiling of this machine)
 * - hono: a Hono hello-world (the framework's own cost)
 * - kv-single: raw `Deno.serve` + one `kv.atomic()` per request writing what a Tock firing
 * writes (its log entry, indexes and counters): what one would write without group commit
 * - kv-group: the same writes through Tock's GroupCommitter (group commit without Hono/Tock)
 * - create-single / create-group: trigger creation the same two ways: the JSON body parsed, the
 * record built and stored with its name check, indexes and change-feed entry by Tock's own
 * functions (db/triggers.ts `insertTrigger`), without Hono, zod or Tock's services
 */
import { parseArgs } from "node:util";
import { Hono } from "hono";
import { parseConfig } from "../core/config.ts";
import { buildDefinition, newTriggerRecord } from "../scheduler/definition.ts";
import { addManualFiringWrites } from "../db/firings.ts";
import { manualLog } from "../services/firings.ts";
import { GroupCommitter } from "../db/group_commit.ts";
import { insertTrigger } from "../db/triggers.ts";
import type { StoredLog } from "../core/schemas.ts";

const ROOT = new URL("../", import.meta.url);

const MODES = [
  "hello",
  "hono",
  "kv-single",
  "kv-group",
  "create-single",
  "create-group",
] as const;
export type BaselineMode = typeof MODES[number];

export interface Running {
  url: string;
  pid: number;
  /** ms from spawn to accepting requests (Tock: to /healthz answering 200). */
  readyMs: number;
  proc: Deno.ChildProcess;
  output(): string;
  stop(): Promise<void>;
}

/** Starts `deno <args>` and resolves once its output matches `ready` (group 1: the URL). */
export async function spawnUntil(
  args: string[],
  ready: RegExp,
  env: Record<string, string> = {},
  healthPath?: string,
  timeoutMs = 60_000,
): Promise<Running> {
  const t0 = performance.now();
  const proc = new Deno.Command(Deno.execPath(), {
    args,
    cwd: ROOT,
    env,
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  let out = "";
  const listening = Promise.withResolvers<string>();
  const pump = async (s: ReadableStream<Uint8Array>) => {
    const dec = new TextDecoder();
    for await (const chunk of s) {
      out += dec.decode(chunk, { stream: true });
      if (out.length > 200_000) out = out.slice(-100_000);
      const m = ready.exec(out);
      if (m) listening.resolve(m[1] ?? m[2]);
    }
  };
  void pump(proc.stdout);
  void pump(proc.stderr);
  void proc.status.then((s) => listening.reject(new Error(`exited ${s.code}:\n${out}`)));
  let timer: ReturnType<typeof setTimeout> | undefined;
  const url = await Promise.race([
    listening.promise,
    new Promise<never>((_, rej) => {
      timer = setTimeout(
        () => rej(new Error(`not ready after ${timeoutMs} ms:\n${out}`)),
        timeoutMs,
      );
    }),
  ]).finally(() => clearTimeout(timer));
  if (healthPath) {
    for (;;) {
      const res = await fetch(url + healthPath).catch(() => null);
      await res?.body?.cancel();
      if (res?.status === 200) break;
      if (performance.now() - t0 > timeoutMs) throw new Error(`${healthPath} not ok:\n${out}`);
      await new Promise((r) => setTimeout(r, 5));
    }
  }
  const readyMs = Math.round(performance.now() - t0);
  return {
    url,
    pid: proc.pid,
    readyMs,
    proc,
    output: () => out,
    async stop() {
      try {
        proc.kill("SIGTERM");
      } catch { /* gone */ }
      const timer = setTimeout(() => {
        try {
          proc.kill("SIGKILL");
        } catch { /* gone */ }
      }, 10_000);
      await proc.status;
      clearTimeout(timer);
    },
  };
}

/** Starts Tock (main.ts) on a free port; ready = listening and /healthz answering 200. */
export function startTock(
  kvPath: string,
  extraArgs: string[] = [],
  denoFlags: string[] = ["-A"],
): Promise<Running> {
  return spawnUntil(
    [
      "run",
      ...denoFlags,
      "main.ts",
      "serve",
      "--port",
      "0",
      "--kv",
      kvPath,
      "--log-format",
      "off",
      ...extraArgs,
    ],
    /Tock listening on (http:\/\/[^\s]+)/,
    {},
    "/healthz",
  );
}

/** Starts a baseline server of this file in its own process. */
export function startBaseline(mode: BaselineMode, kvPath?: string): Promise<Running> {
  const args = ["run", "-A", new URL(import.meta.url).pathname, "--mode", mode];
  if (kvPath) args.push("--kv", kvPath);
  return spawnUntil(args, /baseline listening on (http:\/\/[^\s]+)/);
}

/** Resident memory of a process in MB (Linux /proc). */
export async function rssMb(pid: number): Promise<number> {
  const status = await Deno.readTextFile(`/proc/${pid}/status`);
  const m = /VmRSS:\s+(\d+) kB/.exec(status);
  return m ? Math.round(Number(m[1]) / 1024) : NaN;
}

/** The api trigger the baselines fire; its firings are written exactly as Tock writes them. */
const BENCH_TRIGGER = newTriggerRecord(
  buildDefinition({ name: "bench", type: "api" }, Date.now(), null),
  Date.now(),
);
const WRITE_DEPS = { config: parseConfig(["--kv", ":memory:"], {}) };

/** Adds the writes of one firing of the bench trigger (Tock's own write functions, no HTTP). */
export function addFiringWrites(
  op: Deno.AtomicOperation,
  payload: unknown,
  now: number,
): StoredLog {
  const log = manualLog(BENCH_TRIGGER, payload, now);
  addManualFiringWrites(op, BENCH_TRIGGER, log, WRITE_DEPS.config);
  return log;
}

/** The change-feed origin the create baselines write under, as an instance of Tock would. */
const origin = crypto.randomUUID();

async function serveBaseline(mode: BaselineMode, kvPath: string | undefined): Promise<void> {
  const onListen = ({ port }: { port: number }) =>
    console.log(`baseline listening on http://127.0.0.1:${port}`);
  const opts = { port: 0, hostname: "127.0.0.1", onListen };
  if (mode === "hello") {
    Deno.serve(opts, () => new Response("Hello"));
    return;
  }
  if (mode === "hono") {
    const app = new Hono();
    app.all("*", (c) => c.text("Hello"));
    Deno.serve(opts, app.fetch);
    return;
  }
  const kv = await Deno.openKv(kvPath ?? ":memory:");
  const committer = new GroupCommitter(kv);
  if (mode === "create-single" || mode === "create-group") {
    Deno.serve(opts, async (req) => {
      const now = Date.now();
      const body = await req.json();
      const rec = { ...newTriggerRecord(buildDefinition(body, now, null), now), tags: body.tags };
      const note = { id: rec.id, name: rec.name, action: "created" as const, origin, atMs: now };
      try {
        await insertTrigger(kv, rec, note, mode === "create-group" ? committer : undefined);
      } catch {
        return new Response("conflict", { status: 409 });
      }
      return Response.json(rec, { status: 201 });
    });
    return;
  }
  Deno.serve(opts, async (req) => {
    const payload = await req.json().catch(() => null);
    let log;
    if (mode === "kv-single") {
      const op = kv.atomic();
      log = addFiringWrites(op, payload, Date.now());
      const res = await op.commit();
      if (!res.ok) return new Response("conflict", { status: 409 });
    } else {
      const now = Date.now();
      const res = await committer.submit((op) => {
        log = addFiringWrites(op, payload, now);
      }, 1024);
      if (!res.ok) return new Response("conflict", { status: 409 });
    }
    return Response.json(log, { status: 202 });
  });
}

if (import.meta.main) {
  const { values } = parseArgs({
    args: Deno.args,
    options: { mode: { type: "string" }, kv: { type: "string" } },
  });
  const mode = values.mode as BaselineMode;
  if (!(MODES as readonly string[]).includes(mode)) {
    console.error(`usage: fire_servers.ts --mode ${MODES.join("|")} [--kv FILE]`);
    Deno.exit(2);
  }
  await serveBaseline(mode, values.kv);
}
