/**
 * The `tock` command line: subcommands that talk to a running Tock server over its HTTP API.
 * The root `main.ts` hands `Deno.args` to `runCli` when the first argument is one of
 * `CLI_COMMANDS` (or `help`); `tock serve` and plain `tock` stay with the server.
 */
import { ApiError, describeApiError, errorMessage } from "./client.ts";
import { type Ctx, type Io, makeCtx, type Options, UsageError } from "./context.ts";
import { helpText } from "./help.ts";
import { applyCommand, exportCommand } from "./apply.ts";
import { logsCommand } from "./logs.ts";
import { testCommand } from "./test_cmd.ts";
import {
  actionCommand,
  createCommand,
  DEFINITION_OPTIONS,
  deleteCommand,
  fireCommand,
  getCommand,
  listCommand,
  updateCommand,
} from "./triggers.ts";

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
  "triggers pause": { run: actionCommand("pause"), positionals: REF },
  "triggers resume": { run: actionCommand("resume"), positionals: REF },
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
    options: { name: { type: "string" }, payload: { type: "string" } },
    positionals: { min: 1, max: 1, names: "file (or - for stdin)" },
  },
  export: { run: exportCommand, options: { out: { type: "string", short: "o" } } },
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

function wantsHelp(args: string[]): boolean {
  const end = args.indexOf("--");
  return (end === -1 ? args : args.slice(0, end)).some((a) => a === "--help" || a === "-h");
}

function stdWriter(file: { writeSync(p: Uint8Array): number }): (s: string) => void {
  const encoder = new TextEncoder();
  return (s) => {
    let bytes = encoder.encode(s);
    while (bytes.length > 0) bytes = bytes.subarray(file.writeSync(bytes));
  };
}

/**
 * Runs one CLI command and returns its exit code: 0 ok, 1 the server refused (or could not
 * be reached), 2 bad usage.
 * @example Deno.exit(await runCli(["triggers", "list", "--json"]))
 */
export async function runCli(args: string[], io: Io = {}): Promise<number> {
  const stdout = io.stdout ?? stdWriter(Deno.stdout);
  const stderr = io.stderr ?? stdWriter(Deno.stderr);
  const env = io.env ?? Deno.env.toObject();
  const { name, rest } = commandOf(args);
  try {
    if (name === "help" || name === "") {
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
      const group = name.startsWith("triggers ") ? "triggers" : "";
      throw new UsageError(`Unknown command "${name}"`, group);
    }
    const ctx = makeCtx(name, rest, { ...io, stdout, stderr, env }, command.options, {
      min: 0,
      max: 0,
      ...command.positionals,
    });
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
