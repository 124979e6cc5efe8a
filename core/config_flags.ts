/**
 * Every flag of `tock serve`, in `--help` order, and the `Config` they fill: the table
 * config.ts parses with.
 */

/** How a flag's text becomes its value (config.ts `convert`). */
export type Kind =
  | "int"
  | "string"
  | "duration"
  | "size"
  | "keys"
  | "logFormat"
  | "rateLimit"
  | "origins"
  | "hosts"
  | "bool"
  // issue 17
  | "count"
  | "optionalUrl";

/** One flag: its name, environment variable, default, kind and help line. */
export interface FlagSpec {
  flag: string;
  env: string;
  def: string;
  kind: Kind;
  help: string;
  /** The flag may be given more than once (values add up, like a comma list). */
  multiple?: boolean;
  /** A `count`'s largest value (100,000 unless given). */
  max?: number;
}

/** The configuration, validated and typed: what the flags below fill. */
export interface Config {
  port: number;
  hostname: string;
  /** A file path, `:memory:`, or an http(s) KV Connect URL. */
  kv: string;
  /** Accepted bearer keys (`--api-key` plus the lines of `--api-key-file`); empty: API open. */
  apiKeys: string[];
  /** A file of keys (one a line or comma-separated), so they stay out of `ps`; null for none. */
  apiKeyFile: string | null;
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
  /** Longest pause between two bytes of a request body before it is answered 408. */
  bodyTimeoutMs: number;
  /** Budget of one payload validation (a worker stops it when spent; the fire is a 422). */
  validationTimeoutMs: number;
  /** Refuse webhook destinations on loopback, private, link-local and CGNAT addresses. */
  webhookDenyPrivate: boolean;
  /** Event streams (`GET /api/events`) open at once on this instance; more are 503. */
  maxEventStreams: number;
  /** Triggers the store may hold; a create beyond is 409 (a soft bound across instances). */
  maxTriggers: number;
  /** Origins besides the server's own that may send unsafe requests (and get CORS answers). */
  corsOrigins: string[];
  /** Host names besides localhost, 127.0.0.1 and [::1] a loopback-bound server answers to. */
  allowedHosts: string[];
  /** Backfill firings per second (issue 17). */
  backfillRate: number;
  /** Where operator alerts go (signed JSON POSTs), or null for none (issue 17). */
  alertWebhook: string | null;
  /** Most triggers with per-trigger metric series (issue 17). */
  metricsTriggerLimit: number;
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
    // Not HOSTNAME: Docker, Kubernetes and shells set that to the machine's name.
    env: "TOCK_HOSTNAME",
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
  apiKeyFile: {
    flag: "api-key-file",
    env: "TOCK_API_KEY_FILE",
    def: "",
    kind: "string",
    help: "file of bearer keys (one a line), kept out of the process list",
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
  bodyTimeoutMs: {
    flag: "body-timeout",
    env: "TOCK_BODY_TIMEOUT",
    def: "10s",
    kind: "duration",
    help: "longest pause while a request body arrives before 408",
  },
  corsOrigins: {
    flag: "cors-origin",
    env: "TOCK_CORS_ORIGIN",
    def: "",
    kind: "origins",
    multiple: true,
    help: "other origins allowed to call the API from a browser (repeatable or comma list)",
  },
  allowedHosts: {
    flag: "allowed-host",
    env: "TOCK_ALLOWED_HOST",
    def: "",
    kind: "hosts",
    multiple: true,
    help:
      "Host names answered when bound to loopback, besides localhost (repeatable or comma list)",
  },
  validationTimeoutMs: {
    flag: "validation-timeout",
    env: "TOCK_VALIDATION_TIMEOUT",
    def: "250ms",
    kind: "duration",
    help: "longest one payload may take to validate against its schema (then 422)",
  },
  webhookDenyPrivate: {
    flag: "webhook-deny-private",
    env: "TOCK_WEBHOOK_DENY_PRIVATE",
    def: "false",
    kind: "bool",
    help: "refuse webhook deliveries to loopback, private, link-local and CGNAT addresses",
  },
  maxEventStreams: {
    flag: "max-event-streams",
    env: "TOCK_MAX_EVENT_STREAMS",
    def: "256",
    kind: "count",
    help: "event streams open at once; more are answered 503",
  },
  maxTriggers: {
    flag: "max-triggers",
    env: "TOCK_MAX_TRIGGERS",
    def: "1000000",
    kind: "count",
    max: 100_000_000,
    help: "triggers the store may hold; creating one more is answered 409",
  },
  // Operator controls (issue 17)
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
