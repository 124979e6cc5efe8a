/**
 * What every command gets: the parsed common flags (`--url`, `--api-key`, `--json`), a client
 * for the server, and output functions, so commands never touch `Deno.stdout` or `Deno.env`.
 */
import { parseArgs } from "node:util";
import { Client } from "./client.ts";

/** Where output goes and where settings come from; tests pass their own. */
export interface Io {
  stdout?: (s: string) => void;
  stderr?: (s: string) => void;
  env?: Record<string, string | undefined>;
  /** Stops a long-running command (`logs --follow`) and makes it return 0. */
  signal?: AbortSignal;
}

/** A command line that does not fit the command: printed with a pointer to `--help`, exit 2. */
export class UsageError extends Error {
  constructor(message: string, readonly command = "") {
    super(message);
    this.name = "UsageError";
  }
}

export const DEFAULT_URL = "http://127.0.0.1:8000";

type OptionSpec = { type: "string" | "boolean"; short?: string; multiple?: boolean };
export type Options = Record<string, OptionSpec>;
export type Values = Record<string, string | boolean | string[] | undefined>;

const COMMON: Options = {
  url: { type: "string" },
  "api-key": { type: "string" },
  json: { type: "boolean" },
  help: { type: "boolean", short: "h" },
};

export interface Ctx {
  client: Client;
  json: boolean;
  values: Values;
  positionals: string[];
  out(text: string): void;
  err(text: string): void;
  env: Record<string, string | undefined>;
  signal?: AbortSignal;
}

/**
 * Parses a command's arguments (its own options plus the common ones) into a `Ctx`.
 * Unknown flags, missing values and wrong positional counts are `UsageError`s.
 */
export function makeCtx(
  command: string,
  args: string[],
  io: Required<Pick<Io, "stdout" | "stderr" | "env">> & Io,
  options: Options = {},
  positionals: { min: number; max: number; names?: string } = { min: 0, max: 0 },
): Ctx {
  let parsed;
  try {
    parsed = parseArgs({
      args,
      options: { ...COMMON, ...options },
      strict: true,
      allowPositionals: true,
    });
  } catch (err) {
    const msg = err instanceof Error ? err.message.split("\n")[0] : String(err);
    throw new UsageError(msg.replace(/\. To specify.*$/, "").replace(/\.$/, ""), command);
  }
  const pos = parsed.positionals;
  if (pos.length < positionals.min) {
    throw new UsageError(`Missing ${positionals.names ?? "argument"}`, command);
  }
  if (pos.length > positionals.max) {
    throw new UsageError(`Unexpected argument "${pos[positionals.max]}"`, command);
  }
  const values = parsed.values as Values;
  const url = str(values, "url") ?? io.env.TOCK_URL ?? DEFAULT_URL;
  try {
    const u = new URL(url);
    if (u.protocol !== "http:" && u.protocol !== "https:") throw new Error();
  } catch {
    throw new UsageError(`--url: expected an http(s) URL, got "${url}"`, command);
  }
  const apiKey = str(values, "api-key") ?? io.env.TOCK_API_KEY;
  return {
    client: new Client(url, apiKey || undefined),
    json: values.json === true,
    values,
    positionals: pos,
    out: (text) => io.stdout(text.endsWith("\n") ? text : text + "\n"),
    err: (text) => io.stderr(text.endsWith("\n") ? text : text + "\n"),
    env: io.env,
    signal: io.signal,
  };
}

/** A string option's value, if given. */
export function str(values: Values, name: string): string | undefined {
  const v = values[name];
  return typeof v === "string" ? v : undefined;
}

/** A JSON-valued option (`--payload '{"a":1}'`), parsed; bad JSON is a `UsageError`. */
export function jsonOption(values: Values, name: string, command: string): unknown {
  const raw = str(values, name);
  if (raw === undefined) return undefined;
  try {
    return JSON.parse(raw);
  } catch (err) {
    throw new UsageError(`--${name}: not valid JSON (${(err as Error).message})`, command);
  }
}

/** A positive number option (`--every 60`); anything else is a `UsageError`. */
export function numberOption(
  values: Values,
  name: string,
  command: string,
  integer = false,
): number | undefined {
  const raw = str(values, name);
  if (raw === undefined) return undefined;
  const n = Number(raw);
  if (raw.trim() === "" || !Number.isFinite(n) || n <= 0 || (integer && !Number.isInteger(n))) {
    throw new UsageError(
      `--${name}: expected a positive ${integer ? "integer" : "number"}, got "${raw}"`,
      command,
    );
  }
  return n;
}

/** Reads a file argument, `-` meaning standard input. */
export async function readInput(path: string, command: string): Promise<string> {
  try {
    if (path === "-") return await new Response(Deno.stdin.readable).text();
    return await Deno.readTextFile(path);
  } catch (err) {
    throw new UsageError(`Cannot read "${path}": ${(err as Error).message}`, command);
  }
}

/** Reads and parses a JSON file argument (`-` is standard input); bad JSON is a `UsageError`. */
export async function readJsonInput(path: string, command: string): Promise<unknown> {
  const text = await readInput(path, command);
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new UsageError(`${path}: not valid JSON (${(err as Error).message})`, command);
  }
}
