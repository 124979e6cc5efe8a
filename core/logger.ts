/**
 * The server's one logger: lifecycle lines (listening, stopping), warnings, errors and failed
 * deliveries, in the `--log-format` of the request and firing lines. With `json` every line
 * the process writes is one JSON object (log shippers parse line by line); `pretty` keeps short
 * human lines; `off` silences only the request and firing lines, never warnings or errors.
 */
import { format } from "node:util";
import type { StoredLog } from "./schemas.ts";

export type LogFormat = "json" | "pretty" | "off";
export type Level = "info" | "warn" | "error";

/** A writer of whole lines to one stream. */
export type LineWriter = (line: string) => void;

export interface Logger {
  readonly format: LogFormat;
  /** `msg` is a stable name ("listening"); `pretty` is the human line, when it differs. */
  log(level: Level, msg: string, fields?: Record<string, unknown>, pretty?: string): void;
  info(msg: string, fields?: Record<string, unknown>, pretty?: string): void;
  warn(msg: string, fields?: Record<string, unknown>, pretty?: string): void;
  error(msg: string, fields?: Record<string, unknown>, pretty?: string): void;
  /** Raw stdout lines, for the request and firing sink (it writes its own JSON objects). */
  readonly stdout: LineWriter;
}

/** Writes `line` and a newline to `file` synchronously, so lines never interleave. */
export function fileWriter(file: { writeSync(p: Uint8Array): number }): LineWriter {
  const encoder = new TextEncoder();
  return (line) => {
    let bytes = encoder.encode(line + "\n");
    while (bytes.length > 0) bytes = bytes.subarray(file.writeSync(bytes));
  };
}

/**
 * A writer that collects lines and hands them to `write` together, once per tick (one
 * setTimeout per batch, not per line): under load, one write syscall carries hundreds of
 * request lines. Flushed at exit (the `unload` event) so nothing written before is lost.
 */
export function batchedLines(write: LineWriter): LineWriter & { flush(): void } {
  let lines: string[] = [];
  let scheduled = false;
  const flush = () => {
    scheduled = false;
    if (lines.length === 0) return;
    const out = lines.join("\n");
    lines = [];
    write(out);
  };
  globalThis.addEventListener("unload", flush);
  const add = (line: string) => {
    lines.push(line);
    if (!scheduled) {
      scheduled = true;
      setTimeout(flush, 0);
    }
  };
  return Object.assign(add, { flush });
}

/**
 * A logger writing info to `stdout` and warnings and errors to `stderr`. The writers default to
 * the process's streams, not `console`, so `captureConsole` cannot loop back into itself.
 */
export function createLogger(
  logFormat: LogFormat,
  out: { stdout?: LineWriter; stderr?: LineWriter; now?: () => number } = {},
): Logger {
  const stdout = out.stdout ?? fileWriter(Deno.stdout);
  const stderr = out.stderr ?? fileWriter(Deno.stderr);
  const now = out.now ?? Date.now;
  const log = (
    level: Level,
    msg: string,
    fields: Record<string, unknown> = {},
    pretty?: string,
  ) => {
    const write = level === "info" ? stdout : stderr;
    if (logFormat === "json") {
      write(JSON.stringify({ time: new Date(now()).toISOString(), level, msg, ...fields }));
      return;
    }
    if (pretty !== undefined) return write(pretty);
    const rest = Object.entries(fields).map(([k, v]) =>
      `${k}=${typeof v === "string" ? v : JSON.stringify(v)}`
    );
    write([level === "info" ? "" : `${level}:`, msg, ...rest].filter(Boolean).join(" "));
  };
  return {
    format: logFormat,
    log,
    info: (m, f, p) => log("info", m, f, p),
    warn: (m, f, p) => log("warn", m, f, p),
    error: (m, f, p) => log("error", m, f, p),
    stdout,
  };
}

/**
 * Sends `console.*` through `logger` (JSON format only), so a message from any module or
 * dependency cannot break the JSON stream. `console.error("x failed:", err)` becomes
 * `{"level":"error","msg":"x failed","error":"..."}`. Returns the function that undoes it.
 */
export function captureConsole(logger: Logger, target: Console = console): () => void {
  if (logger.format !== "json") return () => {};
  const saved = { ...target };
  const route = (level: Level) => (...args: unknown[]) => {
    // `console.error("what failed:", err)`: a stable msg, the cause in its own field.
    if (level !== "info" && typeof args[0] === "string" && args.length > 1) {
      const msg = args[0].replace(/:\s*$/, "");
      logger.log(level, msg, { error: format(...args.slice(1)) });
    } else logger.log(level, format(...args));
  };
  target.log = target.info = target.debug = route("info");
  target.warn = route("warn");
  target.error = route("error");
  return () => Object.assign(target, saved);
}

/** The host (and port) of a URL, for logs that must not carry its path or query (secrets). */
export function urlHost(url: string | undefined): string | null {
  if (!url) return null;
  try {
    return new URL(url).host;
  } catch {
    return null;
  }
}

/** Logs a delivery series that ended failed: one warning per firing, never per attempt. */
export function logDeliveryFailure(logger: Logger, log: StoredLog, host: string | null): void {
  const d = log.delivery;
  if (log.outcome !== "failed" || !d) return;
  const fields = {
    logId: log.id,
    triggerId: log.triggerId,
    triggerName: log.triggerName,
    host,
    status: d.status,
    error: d.error,
    attempts: d.attempts,
  };
  const cause = d.status !== null ? `HTTP ${d.status}` : d.error ?? "no answer";
  logger.warn(
    "delivery failed",
    fields,
    `delivery failed: "${log.triggerName}" to ${host ?? "?"} (${cause}) after ` +
      `${d.attempts} attempt${d.attempts === 1 ? "" : "s"} log=${log.id}`,
  );
}
