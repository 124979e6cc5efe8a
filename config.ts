/**
 * Configuration: flags over environment variables over defaults, validated into one typed
 * `Config`. A bad value throws `ConfigError` naming the flag; `main.ts` prints it and exits 2.
 */
import { parseArgs } from "node:util";

export interface Config {
  port: number;
  hostname: string;
  /** A file path, `:memory:`, or an http(s) KV Connect URL. */
  kv: string;
  /** Accepted bearer keys; empty means the API is open. */
  apiKeys: string[];
  activeRetentionMs: number;
  archiveRetentionMs: number;
  maxPayloadBytes: number;
  signingSecret: string | null;
  logFormat: "json" | "pretty" | "off";
  /** Write requests per minute per client; 0 turns the limit off. */
  rateLimit: number;
  requestTimeoutMs: number;
  /** An occurrence later than this is treated as missed and follows the misfire policy. */
  misfireGraceMs: number;
  /** Backfill firings per second (issue 17). */
  backfillRate: number;
  /** Where operator alerts go (signed JSON POSTs), or null for none (issue 17). */
  alertWebhook: string | null;
  /** Most triggers with per-trigger metric series (issue 17). */
  metricsTriggerLimit: number;
}

/** A configuration problem, reported as one line naming the flag. */
export class ConfigError extends Error {}

type Kind =
  | "int"
  | "count"
  | "string"
  | "duration"
  | "size"
  | "keys"
  | "logFormat"
  | "rateLimit"
  | "optionalUrl";

interface FlagSpec {
  flag: string;
  env: string;
  def: string;
  kind: Kind;
  help: string;
}

/** Every flag, in `--help` order. The `key` is the Config field it sets. */
export const FLAGS: Record<keyof Config, FlagSpec> = {
  port: {
    flag: "port",
    env: "PORT",
    def: "8000",
    kind: "int",
    help: "TCP port (0 picks a free one)",
  },
  hostname: {
    flag: "hostname",
    env: "HOSTNAME",
    def: "127.0.0.1",
    kind: "string",
    help: "interface to bind (0.0.0.0 for all)",
  },
  kv: {
    flag: "kv",
    env: "TOCK_KV",
    def: "./data/tock.kv",
    kind: "string",
    help: "KV file path, :memory:, or http(s) KV Connect URL",
  },
  apiKeys: {
    flag: "api-key",
    env: "TOCK_API_KEY",
    def: "",
    kind: "keys",
    help: "comma-separated bearer keys; none leaves the API open",
  },
  activeRetentionMs: {
    flag: "active-retention",
    env: "TOCK_ACTIVE_RETENTION",
    def: "2h",
    kind: "duration",
    help: "how long a log entry stays active",
  },
  archiveRetentionMs: {
    flag: "archive-retention",
    env: "TOCK_ARCHIVE_RETENTION",
    def: "46h",
    kind: "duration",
    help: "how long it then stays archived before deletion",
  },
  maxPayloadBytes: {
    flag: "max-payload",
    env: "TOCK_MAX_PAYLOAD",
    def: "32KiB",
    kind: "size",
    help: "largest request body",
  },
  signingSecret: {
    flag: "signing-secret",
    env: "TOCK_SIGNING_SECRET",
    def: "",
    kind: "string",
    help: "HMAC secret for the Tock-Signature webhook header",
  },
  logFormat: {
    flag: "log-format",
    env: "TOCK_LOG_FORMAT",
    def: "pretty",
    kind: "logFormat",
    help: "request and firing log lines: json, pretty or off",
  },
  rateLimit: {
    flag: "rate-limit",
    env: "TOCK_RATE_LIMIT",
    def: "auto",
    kind: "rateLimit",
    help:
      "write requests per minute per client; 0 off; auto = off on loopback, 600 otherwise (and on Deploy)",
  },
  requestTimeoutMs: {
    flag: "request-timeout",
    env: "TOCK_REQUEST_TIMEOUT",
    def: "30s",
    kind: "duration",
    help: "longest a request may take (not the event stream)",
  },
  misfireGraceMs: {
    flag: "misfire-grace",
    env: "TOCK_MISFIRE_GRACE",
    def: "5s",
    kind: "duration",
    help: "lateness after which an occurrence counts as missed (Deploy: 90s)",
  },
  backfillRate: {
    flag: "backfill-rate",
    env: "TOCK_BACKFILL_RATE",
    def: "50",
    kind: "count",
    help: "backfill firings per second",
  },
  alertWebhook: {
    flag: "alert-webhook",
    env: "TOCK_ALERT_WEBHOOK",
    def: "",
    kind: "optionalUrl",
    help: "URL for signed alerts: delivery failures, missed runs, automatic pauses",
  },
  metricsTriggerLimit: {
    flag: "metrics-trigger-limit",
    env: "TOCK_METRICS_TRIGGER_LIMIT",
    def: "1000",
    kind: "count",
    help: "most triggers with per-trigger metric series",
  },
};

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

function isLoopback(hostname: string): boolean {
  return hostname === "localhost" || hostname === "::1" || hostname.startsWith("127.");
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
      if (!/^\d+$/.test(raw) || Number(raw) < 1 || Number(raw) > 100_000) {
        throw bad("expected a whole number 1-100000");
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
    case "keys":
      return raw.split(",").map((k) => k.trim()).filter((k) => k.length > 0);
    case "logFormat":
      if (raw !== "json" && raw !== "pretty" && raw !== "off") {
        throw bad("expected json, pretty or off");
      }
      return raw;
    case "rateLimit":
      if (raw === "auto") return exposed ? 600 : 0;
      if (!/^\d+$/.test(raw)) throw bad("expected a number of requests per minute, 0 or auto");
      return Number(raw);
    case "string":
      if (key === "signingSecret") return raw === "" ? null : raw;
      if (raw === "") throw bad("expected a value");
      return raw;
  }
}

/**
 * Builds the Config from command-line arguments and the environment.
 * @example parseConfig(["--port", "9000"], { TOCK_KV: ":memory:" })
 */
export function parseConfig(args: string[], env: Record<string, string | undefined>): Config {
  const options: Record<string, { type: "string" }> = {};
  for (const spec of Object.values(FLAGS)) options[spec.flag] = { type: "string" };
  let values: Record<string, string | undefined>;
  try {
    ({ values } = parseArgs({ args, options, strict: true, allowPositionals: false }) as {
      values: Record<string, string | undefined>;
    });
  } catch (err) {
    const msg = err instanceof Error ? err.message.split("\n")[0] : String(err);
    throw new ConfigError(msg.replace(/\. To specify.*$/, ""));
  }
  // Deno Deploy binds loopback behind its own proxy yet is public, and may stop an idle
  // instance until the next minute's cron wakes it: occurrences up to ~a minute late there are
  // late, not missed.
  const onDeploy = env.DENO_DEPLOYMENT_ID !== undefined;
  const defaults: Partial<Record<keyof Config, string>> = onDeploy ? { misfireGraceMs: "90s" } : {};
  const rawOf = (key: keyof Config) =>
    values[FLAGS[key].flag] ?? env[FLAGS[key].env] ?? defaults[key] ?? FLAGS[key].def;
  const exposed = onDeploy || !isLoopback(rawOf("hostname"));
  const config: Record<string, unknown> = {};
  for (const [key, spec] of Object.entries(FLAGS) as [keyof Config, FlagSpec][]) {
    config[key] = convert(key, spec, rawOf(key), exposed);
  }
  return config as unknown as Config;
}

/** The `--help` text: every flag with its environment variable and default. */
export function helpText(): string {
  const rows = Object.values(FLAGS).map((s) => [
    `--${s.flag} <value>`,
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
