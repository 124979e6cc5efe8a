/**
 * The `tock` command line: subcommands that talk to a running Tock server over its HTTP API.
 * The root `main.ts` hands `Deno.args` to `runCli` when `isCliInvocation(args)` says so;
 * `tock serve ...` and server flags alone (`tock --port 8000`) stay with the server.
 */
import { ApiError, describeApiError, errorMessage } from "./client.ts";
import { type Ctx, type Io, makeCtx, type Options, UsageError } from "./context.ts";
import { helpText } from "./help.ts";
import { VERSION } from "../core/version.ts";
import { applyCommand, exportCommand } from "./apply.ts";
import { logsCommand } from "./logs.ts";
import { testCommand } from "./test_cmd.ts";
import {
  actionCommand,
  backfillCommand,
  createCommand,
  deleteCommand,
  fireCommand,
  getCommand,
  listCommand,
  updateCommand,
} from "./triggers.ts";
import { DEFINITION_OPTIONS } from "./definition_flags.ts";

/** First arguments that select the command line rather than the server. */
export const CLI_COMMANDS = ["triggers", "logs", "test", "export", "apply"];

interface Command {
  run(ctx: Ctx): Promise<number>;
  options?: Options;
  positionals?: { min: number; max: number; names?: string };
}

const REF = { min: 1, max: 1, names: "trigger id or name" };

const COMMANDS: Record<string, Command> = {
  "triggers list": {
    run: listCommand,
    options: { type: { type: "string" }, status: { type: "string" } },
  },
  "triggers get": { run: getCommand, positionals: REF },
  "triggers create": {
    run: createCommand,
    options: DEFINITION_OPTIONS,
    positionals: { min: 0, max: 1 },
  },
  "triggers update": { run: updateCommand, options: DEFINITION_OPTIONS, positionals: REF },
  "triggers delete": { run: deleteCommand, positionals: REF },
  "triggers pause": {
    run: actionCommand("pause"),
    options: { reason: { type: "string" }, until: { type: "string" } },
    positionals: REF,
  },
  "triggers resume": { run: actionCommand("resume"), positionals: REF },
  "triggers backfill": {
    run: backfillCommand,
    options: { from: { type: "string" }, to: { type: "string" } },
    positionals: REF,
  },
  "triggers fire": {
    run: fireCommand,
    options: { payload: { type: "string" }, "payload-file": { type: "string" } },
    positionals: REF,
  },
  logs: {
    run: logsCommand,
    options: {
      follow: { type: "boolean", short: "f" },
      trigger: { type: "string" },
      state: { type: "string" },
      source: { type: "string" },
      outcome: { type: "string" },
      since: { type: "string" },
      until: { type: "string" },
      limit: { type: "string" },
    },
  },
  test: {
    run: testCommand,
    options: { name: { type: "string" }, payload: { type: "string" }, wait: { type: "string" } },
    positionals: { min: 1, max: 1, names: "file (or - for stdin)" },
  },
  export: {
    run: exportCommand,
    options: { out: { type: "string", short: "o" }, "include-secrets": { type: "boolean" } },
  },
  apply: {
    run: applyCommand,
    options: { prune: { type: "boolean" }, "dry-run": { type: "boolean" } },
    positionals: { min: 1, max: 1, names: "file (or - for stdin)" },
  },
};

/** Splits the command words off the arguments: `["triggers", "get", "x"]` -> "triggers get". */
function commandOf(args: string[]): { name: string; rest: string[] } {
  if (args[0] === "triggers") {
    const sub = args[1];
    if (sub === undefined || sub.startsWith("-")) return { name: "triggers", rest: args.slice(1) };
    return { name: `triggers ${sub}`, rest: args.slice(2) };
  }
  return { name: args[0] ?? "", rest: args.slice(1) };
}

/** Common flags that take a value, as they may appear before the command words. */
const GLOBAL_VALUE_FLAGS = ["--url", "--api-key", "--api-key-file"];

/**
 * Splits leading common flags (`tock --url X triggers list`) off the arguments, so they can
 * be given before the command as well as after it.
 */
export function hoistGlobals(args: string[]): { globals: string[]; rest: string[] } {
  let i = 0;
  while (i < args.length) {
    const a = args[i];
    if (a === "--json") i += 1;
    else if (GLOBAL_VALUE_FLAGS.includes(a)) i += 2;
    else if (GLOBAL_VALUE_FLAGS.some((f) => a.startsWith(`${f}=`))) i += 1;
    else break;
  }
  return { globals: args.slice(0, Math.min(i, args.length)), rest: args.slice(i) };
}

/**
 * Whether `main.ts` should hand these arguments to `runCli` rather than start the server:
 * no arguments (help), `help`, `version`, `--help`, `--version`, or any word other than
 * `serve` after the common flags (so `tock trigger list`, a typo, gets a CLI error).
 * Flags alone (`--port 8000`, `--api-key K`) and `serve ...` stay with the server.
 */
export function isCliInvocation(args: string[]): boolean {
  if (args.length === 0) return true;
  const { globals, rest } = hoistGlobals(args);
  const first = rest[0];
  // --api-key alone is a server flag too; --url and --json are the client's only.
  if (first === undefined) return globals.some((g) => !/^--api-key/.test(g) && g.startsWith("--"));
  if (["--help", "-h", "--version"].includes(first)) return true;
  return !first.startsWith("-") && first !== "serve";
}

const WORDS = [...CLI_COMMANDS, "help", "version", "serve"];
const SUBCOMMANDS = Object.keys(COMMANDS).filter((k) => k.startsWith("triggers "))
  .map((k) => k.slice("triggers ".length));

/** Edit distance, for "did you mean" on a mistyped command word. */
function distance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let prev = row[0];
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const cur = row[j];
      row[j] = Math.min(row[j] + 1, row[j - 1] + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1));
      prev = cur;
    }
  }
  return row[b.length];
}

function closest(word: string, candidates: string[]): string | undefined {
  const scored = candidates.map((c) => ({ c, d: distance(word, c) })).sort((x, y) => x.d - y.d);
  const best = scored[0];
  return best && best.d <= Math.max(2, Math.floor(word.length / 3)) ? best.c : undefined;
}

/** The usage error for a command that does not exist, with the likeliest intended one. */
function unknownCommand(args: string[]): UsageError {
  if (args[0] === "triggers") {
    const guess = closest(args[1], SUBCOMMANDS);
    return new UsageError(
      `Unknown command "triggers ${args[1]}"` +
        (guess ? `; did you mean "tock triggers ${guess}"?` : ""),
      "triggers",
    );
  }
  const guess = closest(args[0], WORDS);
  // `tock trigger list` means `tock triggers list`: show the whole corrected line.
  const tail = guess === "triggers" && args[1] && !args[1].startsWith("-") ? ` ${args[1]}` : "";
  return new UsageError(
    `Unknown command "${args[0]}"` + (guess ? `; did you mean "tock ${guess}${tail}"?` : ""),
  );
}

function stdWriter(file: { writeSync(p: Uint8Array): number }): (s: string) => void {
  const encoder = new TextEncoder();
  return (s) => {
    let bytes = encoder.encode(s);
    while (bytes.length > 0) bytes = bytes.subarray(file.writeSync(bytes));
  };
}

function wantsHelp(args: string[]): boolean {
  const end = args.indexOf("--");
  return (end === -1 ? args : args.slice(0, end)).some((a) => a === "--help" || a === "-h");
}

/**
 * The caller's directory. Under `deno task` the process runs in the checkout and the
 * caller's directory is in INIT_CWD; elsewhere (an installed `tock`) it is the process's own.
 */
function callerCwd(env: Record<string, string | undefined>): string {
  const here = Deno.cwd();
  const checkout = new URL("../", import.meta.url);
  if (env.INIT_CWD && checkout.protocol === "file:") {
    const root = decodeURIComponent(checkout.pathname).replace(/\/$/, "");
    if (here === root) return env.INIT_CWD;
  }
  return here;
}

/**
 * Runs one CLI command and returns its exit code: 0 ok, 1 the server refused (or could not
 * be reached), 2 bad usage. Output goes through `io` so tests run it in-process.
 * @example Deno.exit(await runCli(["triggers", "list", "--json"]))
 */
export async function runCli(args: string[], io: Io = {}): Promise<number> {
  const stdout = io.stdout ?? stdWriter(Deno.stdout);
  const stderr = io.stderr ?? stdWriter(Deno.stderr);
  const env = io.env ?? Deno.env.toObject();
  const cwd = io.cwd ?? callerCwd(env);
  const { globals, rest: words } = hoistGlobals(args);
  const { name, rest } = commandOf(words);
  try {
    if (name === "--version" || name === "version") {
      if (rest.length > 0) throw new UsageError(`Unexpected argument "${rest[0]}"`);
      stdout(`tock ${VERSION}\n`);
      return 0;
    }
    if (name === "help" || name === "" || name === "--help" || name === "-h") {
      const topic = rest.filter((a) => !a.startsWith("-")).join(" ");
      const text = helpText(topic);
      if (text === undefined) throw new UsageError(`Unknown command "${topic}"`);
      stdout(text + "\n");
      return 0;
    }
    const command = COMMANDS[name];
    if (wantsHelp(rest) && (command || name === "triggers")) {
      stdout(helpText(name) + "\n");
      return 0;
    }
    if (!command) {
      if (name === "triggers") throw new UsageError("Missing subcommand", "triggers");
      throw unknownCommand(words);
    }
    const ctx = await makeCtx(
      name,
      [...globals, ...rest],
      { ...io, stdout, stderr, env, cwd },
      command.options,
      { min: 0, max: 0, ...command.positionals },
    );
    return await command.run(ctx);
  } catch (err) {
    if (err instanceof UsageError) {
      stderr(`error: ${err.message}\n`);
      stderr(`Run "tock ${err.command ? `${err.command} ` : ""}--help" for usage.\n`);
      return 2;
    }
    if (err instanceof ApiError) {
      stderr(describeApiError(err).join("\n") + "\n");
      return 1;
    }
    stderr(`error: ${errorMessage(err)}\n`);
    return 1;
  }
}

if (import.meta.main) Deno.exit(await runCli(Deno.args));
