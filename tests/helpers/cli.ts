/** Runs the `tock` CLI in-process (`runCli` with captured output) for the CLI tests. */
import assert from "node:assert/strict";
import { runCli } from "../../cli/main.ts";

export interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

export interface RunOptions {
  env?: Record<string, string | undefined>;
  cwd?: string;
  stdin?: string;
  signal?: AbortSignal;
  /** Called with each piece of stdout as it is written (for `logs --follow`). */
  onStdout?: (s: string) => void;
  onStderr?: (s: string) => void;
}

/** `tock <args>` in-process: exit code and everything it printed. No environment leaks in. */
export async function tock(args: string[], opts: RunOptions = {}): Promise<Run> {
  let stdout = "";
  let stderr = "";
  const code = await runCli(args, {
    stdout: (s) => {
      stdout += s;
      opts.onStdout?.(s);
    },
    stderr: (s) => {
      stderr += s;
      opts.onStderr?.(s);
    },
    env: opts.env ?? {},
    cwd: opts.cwd ?? Deno.cwd(),
    stdin: opts.stdin,
    signal: opts.signal,
  });
  return { code, stdout, stderr };
}

/** `tock <args> --url <url> --json`, asserting exit 0 and parsing stdout. */
export async function tockJson<T>(url: string, args: string[], opts: RunOptions = {}): Promise<T> {
  const r = await tock([...args, "--url", url, "--json"], opts);
  assert.equal(r.code, 0, `tock ${args.join(" ")} failed: ${r.stderr}`);
  return JSON.parse(r.stdout) as T;
}

export function uniq(prefix: string): string {
  return `${prefix}-${crypto.randomUUID().slice(0, 8)}`;
}

/** A port nothing listens on: bound, then released. */
export function closedPort(): number {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (listener.addr as Deno.NetAddr).port;
  listener.close();
  return port;
}

/** A webhook as the API stores one given only its URL. */
export const WEBHOOK = {
  url: "http://127.0.0.1:9/hook",
  method: "POST" as const,
  headers: {},
  timeoutMs: 10000,
  retries: 3,
  backoffMs: 1000,
};
