/** The flags of `tock triggers create|update` that describe a trigger, turned into its JSON body. */
import { isRecord } from "./client.ts";
import {
  type Ctx,
  jsonOption,
  numberOption,
  type Options,
  readJsonInput,
  str,
  UsageError,
} from "./context.ts";

/** Flags that describe a trigger definition, shared by `create` and `update`. */
export const DEFINITION_OPTIONS: Options = {
  file: { type: "string", short: "f" },
  name: { type: "string" },
  type: { type: "string" },
  cron: { type: "string" },
  timezone: { type: "string" },
  every: { type: "string" },
  at: { type: "string" },
  delay: { type: "string" },
  "start-at": { type: "string" },
  "end-at": { type: "string" },
  "max-runs": { type: "string" },
  "no-schedule": { type: "boolean" },
  payload: { type: "string" },
  "payload-schema": { type: "string" },
  webhook: { type: "string" },
  "webhook-method": { type: "string" },
  "webhook-header": { type: "string", multiple: true },
  "webhook-timeout-ms": { type: "string" },
  "webhook-retries": { type: "string" },
  "no-webhook": { type: "boolean" },
  misfire: { type: "string" },
  overlap: { type: "string" },
  tag: { type: "string", multiple: true },
  "no-tags": { type: "boolean" },
  paused: { type: "boolean" },
};

/**
 * Builds a create or patch body from `--file` (a JSON definition) overlaid with flags.
 * Only what was given is set; the server validates the result.
 */
export async function definitionFromFlags(
  ctx: Ctx,
  command: string,
): Promise<Record<string, unknown>> {
  const v = ctx.values;
  let body: Record<string, unknown> = {};
  const file = str(v, "file");
  if (file !== undefined) {
    const parsed = await readJsonInput(ctx, file, command);
    if (!isRecord(parsed)) throw new UsageError(`${file}: expected a JSON object`, command);
    body = parsed;
  }
  for (const key of ["name", "type", "misfire", "overlap"]) {
    const value = str(v, key);
    if (value !== undefined) body[key] = value;
  }
  const schedule = scheduleFromFlags(ctx, command);
  if (schedule !== undefined) body.schedule = schedule;
  if (v["no-schedule"]) body.schedule = null;
  const payload = jsonOption(v, "payload", command);
  if (payload !== undefined) body.payload = payload;
  const payloadSchema = jsonOption(v, "payload-schema", command);
  if (payloadSchema !== undefined) body.payloadSchema = payloadSchema;
  const webhook = webhookFromFlags(ctx, command);
  if (webhook !== undefined) body.webhook = webhook;
  if (v["no-webhook"]) body.webhook = null;
  // --tag replaces the tags (repeat it for several); --no-tags clears them.
  const tags = v.tag as string[] | undefined;
  if (tags?.length && v["no-tags"]) throw new UsageError("--no-tags contradicts --tag", command);
  if (tags?.length) body.tags = tags;
  if (v["no-tags"]) body.tags = [];
  return body;
}

function scheduleFromFlags(ctx: Ctx, command: string): Record<string, unknown> | undefined {
  const v = ctx.values;
  const forms = ["cron", "every", "at", "delay"].filter((k) => v[k] !== undefined);
  const extras = ["timezone", "start-at", "end-at", "max-runs"].filter((k) => v[k] !== undefined);
  if (forms.length === 0) {
    if (extras.length > 0) {
      throw new UsageError(`--${extras[0]} needs --cron or --every`, command);
    }
    return undefined;
  }
  if (forms.length > 1) {
    throw new UsageError(
      `Give one of --cron, --every, --at, --delay, not ${forms.length}`,
      command,
    );
  }
  if (v["no-schedule"]) throw new UsageError(`--no-schedule contradicts --${forms[0]}`, command);
  const form = forms[0];
  if ((form === "at" || form === "delay") && extras.length > 0) {
    throw new UsageError(`--${extras[0]} applies to --cron or --every only`, command);
  }
  if (form === "every" && v.timezone !== undefined) {
    throw new UsageError("--timezone applies to --cron only", command);
  }
  const s: Record<string, unknown> = {};
  if (form === "cron") s.cron = str(v, "cron");
  if (form === "every") s.everySeconds = numberOption(v, "every", command);
  if (form === "at") s.at = str(v, "at");
  if (form === "delay") s.delaySeconds = numberOption(v, "delay", command);
  if (v.timezone !== undefined) s.timezone = str(v, "timezone");
  if (v["start-at"] !== undefined) s.startAt = str(v, "start-at");
  if (v["end-at"] !== undefined) s.endAt = str(v, "end-at");
  if (v["max-runs"] !== undefined) s.maxRuns = numberOption(v, "max-runs", command, true);
  return s;
}

function webhookFromFlags(ctx: Ctx, command: string): Record<string, unknown> | undefined {
  const v = ctx.values;
  const subs = ["webhook-method", "webhook-header", "webhook-timeout-ms", "webhook-retries"];
  const given = subs.filter((k) => v[k] !== undefined);
  const url = str(v, "webhook");
  if (url === undefined) {
    if (given.length > 0) throw new UsageError(`--${given[0]} needs --webhook <url>`, command);
    return undefined;
  }
  if (v["no-webhook"]) throw new UsageError("--no-webhook contradicts --webhook", command);
  const w: Record<string, unknown> = { url };
  const method = str(v, "webhook-method");
  if (method !== undefined) w.method = method.toUpperCase();
  const headers = v["webhook-header"];
  if (Array.isArray(headers)) {
    const h: Record<string, string> = {};
    for (const raw of headers) {
      const i = raw.indexOf(":");
      if (i <= 0) {
        throw new UsageError(`--webhook-header: expected "Name: value", got "${raw}"`, command);
      }
      h[raw.slice(0, i).trim()] = raw.slice(i + 1).trim();
    }
    w.headers = h;
  }
  const timeout = numberOption(v, "webhook-timeout-ms", command, true);
  if (timeout !== undefined) w.timeoutMs = timeout;
  const retries = str(v, "webhook-retries");
  if (retries !== undefined) {
    if (!/^\d+$/.test(retries)) {
      throw new UsageError(`--webhook-retries: expected a whole number, got "${retries}"`, command);
    }
    w.retries = Number(retries);
  }
  return w;
}
