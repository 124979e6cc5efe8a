/** Starts the real server (`main.ts`) as a subprocess on a free port with a temp KV file. */

const ROOT = new URL("../../", import.meta.url);

export interface RunningServer {
  url: string;
  port: number;
  kvPath: string;
  proc: Deno.ChildProcess;
  /** Everything the process printed so far (stdout and stderr). */
  output(): string;
  /** SIGTERM and wait for exit. */
  stop(): Promise<void>;
  /** Send a signal (SIGKILL for crash tests) without waiting. */
  kill(signal?: Deno.Signal): void;
  exited: Promise<Deno.CommandStatus>;
}

export interface StartOptions {
  args?: string[];
  /** Deno's own flags (permissions); `-A` unless given. */
  denoFlags?: string[];
  env?: Record<string, string>;
  /** Reuse a KV file (restart tests); a fresh temp file otherwise. */
  kvPath?: string;
  /** Fixed port (restarts that must keep their URL); a free one otherwise. */
  port?: number;
  timeoutMs?: number;
}

/** Starts `deno run <flags> main.ts serve --port 0 --kv <file>` and resolves once it is listening. */
export async function startServer(opts: StartOptions = {}): Promise<RunningServer> {
  const kvPath = opts.kvPath ?? (await Deno.makeTempDir({ prefix: "tock-test-" })) + "/tock.kv";
  const cmd = new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      ...(opts.denoFlags ?? ["-A"]),
      "main.ts",
      "serve",
      "--port",
      String(opts.port ?? 0),
      // Tests talk to loopback only, whatever TOCK_HOSTNAME the environment exports (a later
      // --hostname in opts.args wins).
      "--hostname",
      "127.0.0.1",
      "--kv",
      kvPath,
      "--log-format",
      "off",
      ...(opts.args ?? []),
    ],
    cwd: ROOT,
    env: opts.env,
    stdout: "piped",
    stderr: "piped",
  });
  const proc = cmd.spawn();
  let out = "";
  const listening = Promise.withResolvers<string>();
  const pump = async (stream: ReadableStream<Uint8Array>) => {
    const dec = new TextDecoder();
    for await (const chunk of stream) {
      out += dec.decode(chunk, { stream: true });
      // The pretty line, or the JSON one with --log-format json.
      const m = /Tock listening on (http:\/\/[^\s]+)|"msg":"listening","url":"(http:[^"]+)"/
        .exec(out);
      if (m) listening.resolve(m[1] ?? m[2]);
    }
  };
  void pump(proc.stdout);
  void pump(proc.stderr);
  const exited = proc.status;
  exited.then((s) =>
    listening.reject(new Error(`server exited (${s.code}) before listening:\n${out}`))
  );
  const timeoutMs = opts.timeoutMs ?? 30_000;
  let timer: ReturnType<typeof setTimeout> | undefined;
  const url = await Promise.race([
    listening.promise,
    new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new Error(`server not listening after ${timeoutMs} ms:\n${out}`)),
        timeoutMs,
      );
    }),
  ]).finally(() => clearTimeout(timer));
  return {
    url,
    port: Number(new URL(url).port),
    kvPath,
    proc,
    output: () => out,
    exited,
    kill(signal: Deno.Signal = "SIGTERM") {
      try {
        proc.kill(signal);
      } catch { /* already gone */ }
    },
    async stop() {
      try {
        proc.kill("SIGTERM");
      } catch { /* already gone */ }
      await exited;
    },
  };
}

/** Polls `check` until it returns a truthy value or `timeoutMs` passes. */
export async function waitFor<T>(
  check: () => Promise<T> | T,
  timeoutMs = 15_000,
  what = "condition",
): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < deadline) {
    try {
      const v = await check();
      if (v) return v as NonNullable<T>;
    } catch (err) {
      last = err;
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${last ? `: ${last}` : ""}`);
}

/** A JSON request to a running server: status and parsed body (null for an empty answer). */
export async function api(srv: RunningServer, method: string, path: string, body?: unknown) {
  const res = await fetch(`${srv.url}${path}`, {
    method,
    headers: body === undefined ? {} : { "content-type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  // deno-lint-ignore no-explicit-any
  return { status: res.status, body: (text ? JSON.parse(text) : null) as any };
}
