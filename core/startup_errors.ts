/**
 * Start-up failures as one line naming the cause and the flag to change (main.ts prints it and
 * exits 2), instead of a stack trace. Pure: it only reads the error and the configuration.
 */
import { type Config, isKvConnectUrl } from "./config.ts";

/** What main.ts was doing: opening the KV store, or binding the HTTP listener. */
export type StartupStage = "kv" | "listen";

/** The OS's reason without Deno's "(os error N): mkdir '...'" tail. */
function reason(err: Error): string {
  return err.message.replace(/\s*\(os error \d+\).*$/s, "").replace(/:\s*\S*$/, "").trim() ||
    err.message;
}

function kvProblem(err: Error, config: Pick<Config, "kv">): string | null {
  const where = `the KV store ${JSON.stringify(config.kv)}`;
  const msg = err.message;
  if (/DENO_KV_ACCESS_TOKEN/.test(msg)) {
    return `tock: --kv is a KV Connect URL but DENO_KV_ACCESS_TOKEN is not set: set it to an ` +
      `access token for that database, or change --kv (TOCK_KV)`;
  }
  if (/file is not a database|database disk image is malformed|file is encrypted/i.test(msg)) {
    return `tock: ${where} is not a Deno KV (SQLite) file: it is damaged or something else; ` +
      `restore it from a backup or point --kv (TOCK_KV) at another path`;
  }
  if (err instanceof Deno.errors.NotCapable) {
    return `tock: Deno's permissions do not allow opening ${where}: run with --allow-read ` +
      `and --allow-write for it, or change --kv (TOCK_KV)`;
  }
  if (isKvConnectUrl(config.kv)) {
    return `tock: cannot open ${where}: ${msg.split("\n")[0]}; check the URL given to --kv ` +
      `(TOCK_KV) and DENO_KV_ACCESS_TOKEN`;
  }
  if (
    err instanceof Deno.errors.PermissionDenied || err instanceof Deno.errors.NotADirectory ||
    err instanceof Deno.errors.NotFound || err instanceof Deno.errors.AlreadyExists ||
    err instanceof Deno.errors.IsADirectory ||
    /unable to open database file|read-?only|readonly/i.test(msg)
  ) {
    return `tock: cannot create or open ${where} (${reason(err)}): change --kv (TOCK_KV) to ` +
      `a file in a writable directory`;
  }
  return null;
}

function listenProblem(err: Error, config: Pick<Config, "port" | "hostname">): string | null {
  const addr = `${config.hostname}:${config.port}`;
  if (err instanceof Deno.errors.AddrInUse) {
    return `tock: port ${config.port} on ${config.hostname} is already in use (another Tock or ` +
      `program listens there): choose another with --port (PORT), or stop the other one`;
  }
  if (err instanceof Deno.errors.NotCapable) {
    return `tock: Deno's permissions do not allow listening on ${addr}: change --port or ` +
      `--hostname, or widen --allow-net`;
  }
  if (err instanceof Deno.errors.PermissionDenied) {
    return `tock: not permitted to listen on port ${config.port} (ports below 1024 need ` +
      `privileges): choose a port from 1024 up with --port (PORT)`;
  }
  if (err instanceof Deno.errors.AddrNotAvailable) {
    return `tock: cannot bind ${config.hostname}: no network interface of this machine has ` +
      `that address; change --hostname (127.0.0.1, 0.0.0.0 or one of its addresses)`;
  }
  if (
    /failed to lookup address|Name or service not known|nodename nor servname/i.test(err.message)
  ) {
    return `tock: cannot resolve the hostname ${JSON.stringify(config.hostname)}: change ` +
      `--hostname (TOCK_HOSTNAME) to an address or a name this machine resolves`;
  }
  return null;
}

/**
 * The one line for a start-up failure at `stage`, or null when the error is not one Tock
 * knows (main.ts then prints its first line, still without a stack).
 * @example describeStartupError(new Deno.errors.AddrInUse("..."), config, "listen")
 */
export function describeStartupError(
  err: unknown,
  config: Pick<Config, "kv" | "port" | "hostname">,
  stage: StartupStage,
): string | null {
  if (!(err instanceof Error)) return null;
  return stage === "kv" ? kvProblem(err, config) : listenProblem(err, config);
}

/** The line for any start-up failure: the described one, or the error's first line. */
export function startupFailureLine(
  err: unknown,
  config: Pick<Config, "kv" | "port" | "hostname">,
  stage: StartupStage,
): string {
  const known = describeStartupError(err, config, stage);
  if (known) return known;
  const first = (err instanceof Error ? err.message : String(err)).split("\n")[0];
  const flag = stage === "kv" ? "--kv" : "--port and --hostname";
  return `tock: could not start (${stage === "kv" ? "opening KV" : "listening"}): ${first}; ` +
    `check ${flag}`;
}
