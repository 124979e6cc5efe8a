/**
 * Configuration: flags over environment variables over defaults, validated into one typed
 * `Config`. A bad value throws `ConfigError` naming the flag; `main.ts` prints it and exits 2.
 */
import { parseArgs } from "node:util";
import { type Config, FLAGS, type FlagSpec } from "./config_flags.ts";

export { FLAGS } from "./config_flags.ts";
export type { Config };

/** A configuration problem, reported as one line naming the flag. */
export class ConfigError extends Error {}

const DURATION_UNITS: Record<string, number> = { ms: 1, s: 1e3, m: 60e3, h: 3600e3, d: 86400e3 };
const SIZE_UNITS: Record<string, number> = {
  "": 1,
  b: 1,
  kb: 1e3,
  kib: 1024,
  mb: 1e6,
  mib: 1024 ** 2,
};

/** Parses `500ms`, `30s`, `15m`, `2h`, `3d` to milliseconds; null when malformed. */
export function parseDuration(text: string): number | null {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m|h|d)$/.exec(text.trim());
  if (!m) return null;
  const ms = Number(m[1]) * DURATION_UNITS[m[2]];
  return Number.isFinite(ms) ? Math.round(ms) : null;
}

/** Parses `32KiB`, `1MB`, `4096` to bytes; null when malformed. */
export function parseSize(text: string): number | null {
  const m = /^(\d+)\s*([a-z]*)$/i.exec(text.trim());
  if (!m || !(m[2].toLowerCase() in SIZE_UNITS)) return null;
  return Number(m[1]) * SIZE_UNITS[m[2].toLowerCase()];
}

/** True for an address or name that only this machine reaches (`127.x`, `::1`, localhost). */
export function isLoopbackHost(hostname: string): boolean {
  const h = hostname.toLowerCase().replace(/^\[(.*)\]$/, "$1");
  return h === "localhost" || h === "::1" || /^127\.\d+\.\d+\.\d+$/.test(h);
}

/** True when `kv` names a KV Connect server (`http(s)://...`) rather than a file. */
export function isKvConnectUrl(kv: string): boolean {
  return /^https?:\/\//i.test(kv);
}

/**
 * True on Deno Deploy (it sets DENO_DEPLOYMENT_ID): public although bound to loopback, no
 * writable disk, no KV queues.
 */
export function onDenoDeploy(
  env: Record<string, string | undefined> | { get(name: string): string | undefined },
): boolean {
  const id = typeof env.get === "function"
    ? (env as { get(name: string): string | undefined }).get("DENO_DEPLOYMENT_ID")
    : (env as Record<string, string | undefined>).DENO_DEPLOYMENT_ID;
  return id !== undefined;
}

/** RFC 6750's b64token: the characters a bearer key may have (what hono/bearer-auth accepts). */
const BEARER_KEY = /^[A-Za-z0-9._~+/-]+=*$/;

function list(raw: string): string[] {
  return raw === "" ? [] : raw.split(",").map((v) => v.trim());
}

function convert(key: keyof Config, spec: FlagSpec, raw: string, exposed: boolean): unknown {
  const bad = (what: string) => new ConfigError(`--${spec.flag}: ${what}, got "${raw}"`);
  switch (spec.kind) {
    case "int": {
      if (!/^\d+$/.test(raw) || Number(raw) > 65535) throw bad("expected a port number 0-65535");
      return Number(raw);
    }
    case "optionalUrl":
      if (raw === "") return null;
      if (!/^https?:\/\//.test(raw) || !URL.canParse(raw)) throw bad("expected an http(s) URL");
      return raw;
    case "count": {
      const max = spec.max ?? 100_000;
      if (!/^\d+$/.test(raw) || Number(raw) < 1 || Number(raw) > max) {
        throw bad(`expected a whole number 1-${max}`);
      }
      return Number(raw);
    }
    case "duration": {
      const ms = parseDuration(raw);
      if (ms === null || ms <= 0) {
        throw bad("expected a duration such as 500ms, 30s, 15m, 2h or 3d");
      }
      return ms;
    }
    case "size": {
      const n = parseSize(raw);
      if (n === null || n <= 0) throw bad("expected a size such as 32KiB, 1MiB or 4096");
      return n;
    }
    case "keys": {
      const keys = list(raw);
      // A blank key (" , " or "a,,b") must not silently leave the API open or half-configured.
      if (keys.some((k) => k === "")) throw bad("an API key is empty or blank");
      if (!keys.every((k) => BEARER_KEY.test(k))) {
        throw bad("API keys may use only A-Z a-z 0-9 . _ ~ + / - (and a trailing =)");
      }
      return keys;
    }
    case "origins":
      return list(raw).filter((o) => o !== "").map((o) => {
        let url: URL | null = null;
        try {
          url = new URL(o);
        } catch { /* reported below */ }
        if (!url || !/^https?:$/.test(url.protocol) || url.origin !== o.replace(/\/$/, "")) {
          throw bad("expected origins such as https://ops.example.com");
        }
        return url.origin;
      });
    case "hosts":
      return list(raw).filter((h) => h !== "").map((h) => {
        if (!/^[A-Za-z0-9.-]+$|^\[[0-9A-Fa-f:.]+\]$/.test(h)) {
          throw bad("expected host names such as tock.internal (no port)");
        }
        return h.toLowerCase();
      });
    case "logFormat":
      if (raw !== "json" && raw !== "pretty" && raw !== "off") {
        throw bad("expected json, pretty or off");
      }
      return raw;
    case "rateLimit":
      if (raw === "auto") return exposed ? 600 : 0;
      if (!/^\d+$/.test(raw)) throw bad("expected a number of requests per minute, 0 or auto");
      return Number(raw);
    case "bool":
      if (/^(true|1|yes|on)$/i.test(raw)) return true;
      if (/^(false|0|no|off)?$/i.test(raw)) return false;
      throw bad("expected true or false");
    case "string":
      if (key === "signingSecret" || key === "apiKeyFile") return raw === "" ? null : raw;
      if (raw === "") throw bad("expected a value");
      return raw;
  }
}

/**
 * Builds the Config from command-line arguments and the environment (`readFile` reads
 * `--api-key-file`).
 * @example parseConfig(["--port", "9000"], { TOCK_KV: ":memory:" })
 */
export function parseConfig(
  args: string[],
  env: Record<string, string | undefined>,
  readFile: (path: string) => string = Deno.readTextFileSync,
): Config {
  const options: Record<string, { type: "string" | "boolean"; multiple?: boolean }> = {};
  for (const spec of Object.values(FLAGS)) {
    options[spec.flag] = spec.kind === "bool"
      ? { type: "boolean" }
      : { type: "string", ...(spec.multiple ? { multiple: true } : {}) };
  }
  let values: Record<string, string | undefined>;
  try {
    const parsed = parseArgs({ args, options, strict: true, allowPositionals: false });
    values = Object.fromEntries(
      Object.entries(parsed.values).map((
        [k, v],
      ) => [k, Array.isArray(v) ? v.join(",") : typeof v === "boolean" ? String(v) : v]),
    ) as Record<string, string | undefined>;
  } catch (err) {
    const msg = err instanceof Error ? err.message.split("\n")[0] : String(err);
    throw new ConfigError(msg.replace(/\. To specify.*$/, ""));
  }
  // Deno Deploy binds loopback behind its own proxy yet is public, and may stop an idle
  // instance until the next minute's cron wakes it: occurrences up to ~a minute late there are
  // late, not missed.
  const onDeploy = onDenoDeploy(env);
  const defaults: Partial<Record<keyof Config, string>> = onDeploy ? { misfireGraceMs: "90s" } : {};
  const rawOf = (key: keyof Config) =>
    values[FLAGS[key].flag] ?? env[FLAGS[key].env] ?? defaults[key] ?? FLAGS[key].def;
  const exposed = onDeploy || !isLoopbackHost(rawOf("hostname"));
  const config: Record<string, unknown> = {};
  for (const [key, spec] of Object.entries(FLAGS) as [keyof Config, FlagSpec][]) {
    config[key] = convert(key, spec, rawOf(key), exposed);
  }
  const file = config.apiKeyFile as string | null;
  if (file !== null) (config.apiKeys as string[]).push(...keysFromFile(file, readFile));
  return config as unknown as Config;
}

/** The keys in `path`: one a line (commas also split), blank lines and `#` comments skipped. */
function keysFromFile(path: string, readFile: (path: string) => string): string[] {
  let text: string;
  try {
    text = readFile(path);
  } catch (err) {
    throw new ConfigError(`--api-key-file: cannot read "${path}": ${(err as Error).message}`);
  }
  const lines = text.split(/\r?\n/).map((l) => l.trim()).filter((l) => l && !l.startsWith("#"));
  if (lines.length === 0) throw new ConfigError(`--api-key-file: "${path}" holds no key`);
  return convert("apiKeys", FLAGS.apiKeys, lines.join(","), false) as string[];
}

/** The `--help` text: every flag with its environment variable and default. */
export function helpText(): string {
  const rows = Object.values(FLAGS).map((s) => [
    s.kind === "bool" ? `--${s.flag}` : `--${s.flag} <value>`,
    s.env,
    s.def === "" ? "(none)" : s.def,
    s.help,
  ]);
  const widths = [0, 1, 2].map((i) => Math.max(...rows.map((r) => r[i].length)));
  const lines = rows.map((r) => r.map((c, i) => (i < 3 ? c.padEnd(widths[i]) : c)).join("  "));
  return [
    "Tock: event triggers on Deno",
    "",
    "Usage: tock [serve] [flags]        start the service",
    "       tock <command> --help       triggers, logs, test, export, apply (talk to a server)",
    "",
    "Flags (flag, then environment variable, then default):",
    ...lines.map((l) => "  " + l),
    "  --help                      show this text",
  ].join("\n");
}
