/**
 * What every command gets: the parsed common flags (`--url`, `--api-key`, `--json`), a client
 * for the server, and output functions, so commands never touch `Deno.stdout` or `Deno.env`.
 */
import { parseArgs } from "node:util";
import { resolve } from "node:path";
import { Client } from "./client.ts";

/** Where output goes and where settings come from; tests pass their own. */
export interface Io {
  stdout?: (s: string) => void;
  stderr?: (s: string) => void;
  env?: Record<string, string | undefined>;
  /** The caller's working directory: relative file arguments resolve against it. */
  cwd?: string;
  /** Standard input's text, for `-` file arguments (read from the process when absent). */
  stdin?: string;
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

/** Flags every command takes, before or after the command words. */
export const COMMON: Options = {
  url: { type: "string" },
  "api-key": { type: "string" },
  "api-key-file": { type: "string" },
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
  /** The caller's directory; `path()` resolves file arguments against it. */
  cwd: string;
  stdin?: string;
  signal?: AbortSignal;
}

type FullIo = Required<Pick<Io, "stdout" | "stderr" | "env" | "cwd">> & Io;

/**
 * `--every -5` is a value, not an option: node's parseArgs calls a dash-led value ambiguous,
 * so a negative number after a string option is joined to it (`--every=-5`) and the option's
 * own check reports it in words.
 */
function joinNegativeNumbers(args: string[], options: Options): string[] {
  const out: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    if (a === "--") return [...out, ...args.slice(i)];
    const name = a.startsWith("--") ? a.slice(2) : undefined;
    if (name && options[name]?.type === "string" && /^-\.?\d/.test(args[i + 1] ?? "")) {
      out.push(`${a}=${args[++i]}`);
    } else out.push(a);
  }
  return out;
}

/**
 * Parses a command's arguments (its own options plus the common ones) into a `Ctx`.
 * Unknown flags, missing values and wrong positional counts are `UsageError`s.
 */
export async function makeCtx(
  command: string,
  args: string[],
  io: FullIo,
  options: Options = {},
  positionals: { min: number; max: number; names?: string } = { min: 0, max: 0 },
): Promise<Ctx> {
  const all = { ...COMMON, ...options };
  let parsed;
  try {
    parsed = parseArgs({
      args: joinNegativeNumbers(args, all),
      options: all,
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
  const flagUrl = str(values, "url");
  const url = flagUrl ?? io.env.TOCK_URL ?? DEFAULT_URL;
  try {
    const u = new URL(url);
    if (u.protocol !== "http:" && u.protocol !== "https:") throw new Error();
  } catch {
    const source = flagUrl !== undefined ? "--url" : "TOCK_URL";
    throw new UsageError(`${source}: expected an http(s) URL, got "${url}"`, command);
  }
  const apiKey = await apiKeyOf(values, io, command);
  return {
    client: new Client(url, apiKey || undefined),
    json: values.json === true,
    values,
    positionals: pos,
    out: (text) => io.stdout(text.endsWith("\n") ? text : text + "\n"),
    err: (text) => io.stderr(text.endsWith("\n") ? text : text + "\n"),
    env: io.env,
    cwd: io.cwd,
    stdin: io.stdin,
    signal: io.signal,
  };
}

/**
 * The API key: `--api-key`, else `--api-key-file`, else `TOCK_API_KEY`, else
 * `TOCK_API_KEY_FILE`. A file keeps the key out of `ps` and shell history; its trailing
 * newline is not part of the key.
 */
async function apiKeyOf(values: Values, io: FullIo, command: string): Promise<string | undefined> {
  const flag = str(values, "api-key");
  const flagFile = str(values, "api-key-file");
  if (flag !== undefined && flagFile !== undefined) {
    throw new UsageError("Give --api-key or --api-key-file, not both", command);
  }
  if (flag !== undefined) return flag;
  if (flagFile !== undefined) return await readKeyFile(io, flagFile, "--api-key-file", command);
  if (io.env.TOCK_API_KEY) return io.env.TOCK_API_KEY;
  const envFile = io.env.TOCK_API_KEY_FILE;
  if (envFile) return await readKeyFile(io, envFile, "TOCK_API_KEY_FILE", command);
  return undefined;
}

async function readKeyFile(io: FullIo, path: string, source: string, command: string) {
  let text;
  try {
    text = await Deno.readTextFile(resolve(io.cwd, path));
  } catch (err) {
    throw new UsageError(`${source}: cannot read "${path}": ${(err as Error).message}`, command);
  }
  const key = text.replace(/\r?\n$/, "");
  if (key === "") throw new UsageError(`${source}: "${path}" is empty`, command);
  return key;
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

/** A file argument resolved against the caller's directory (not Tock's checkout). */
export function pathOf(ctx: Pick<Ctx, "cwd">, path: string): string {
  return resolve(ctx.cwd, path);
}

/** Reads a file argument, `-` meaning standard input. */
export async function readInput(ctx: Ctx, path: string, command: string): Promise<string> {
  try {
    if (path === "-") return ctx.stdin ?? await new Response(Deno.stdin.readable).text();
    return await Deno.readTextFile(pathOf(ctx, path));
  } catch (err) {
    throw new UsageError(`Cannot read "${path}": ${(err as Error).message}`, command);
  }
}

/** Reads and parses a JSON file argument (`-` is standard input); bad JSON is a `UsageError`. */
export async function readJsonInput(ctx: Ctx, path: string, command: string): Promise<unknown> {
  const text = await readInput(ctx, path, command);
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new UsageError(`${path}: not valid JSON (${(err as Error).message})`, command);
  }
}
