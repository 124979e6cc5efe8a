/** `tock test <file>`: fire a definition once on the server without saving it. */
import type { LogEntry } from "../core/schemas.ts";
import { isRecord } from "./client.ts";
import { type Ctx, jsonOption, readJsonInput, str, UsageError } from "./context.ts";
import { logDetails } from "./format.ts";
import { REDACTED } from "./spec.ts";
import { setTimeout as delay } from "node:timers/promises";

/**
 * The definition to test from a file: a single trigger definition, or one entry of a trigger
 * file (`--name` picks it when there are several). `status` is a file-only field and dropped.
 */
export function pickDefinition(parsed: unknown, name?: string): Record<string, unknown> {
  if (!isRecord(parsed)) throw new UsageError("Expected a JSON object", "test");
  if (!Array.isArray(parsed.triggers)) {
    if (name !== undefined) throw new UsageError("--name applies to trigger files only", "test");
    return parsed;
  }
  const entries = parsed.triggers.filter(isRecord);
  const pick = name === undefined
    ? entries.length === 1 ? entries[0] : undefined
    : entries.find((e) => typeof e.name === "string" && e.name.trim() === name.trim());
  if (!pick) {
    throw new UsageError(
      name === undefined
        ? `The file holds ${entries.length} triggers: choose one with --name`
        : `No trigger named "${name}" in the file`,
      "test",
    );
  }
  const { status: _status, ...definition } = pick;
  return definition;
}

/** Parses `--wait`: `500ms`, `30s`, `2m`, or bare seconds; `0` does not wait. */
export function parseDuration(raw: string, flag: string, command: string): number {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m)?$/.exec(raw.trim());
  if (!m) {
    throw new UsageError(
      `${flag}: expected a duration like 500ms, 30s or 2m, got "${raw}"`,
      command,
    );
  }
  const n = Number(m[1]);
  return Math.round(m[2] === "ms" ? n : m[2] === "m" ? n * 60_000 : n * 1000);
}

/** Polls the log entry until its delivery is no longer pending, or the wait is over. */
async function settle(ctx: Ctx, log: LogEntry, waitMs: number): Promise<LogEntry> {
  const deadline = Date.now() + waitMs;
  let pauseMs = 100;
  while (log.outcome === "pending" && Date.now() < deadline && !ctx.signal?.aborted) {
    await delay(Math.min(pauseMs, Math.max(0, deadline - Date.now())));
    pauseMs = Math.min(pauseMs * 2, 1000);
    log = await ctx.client.request<LogEntry>("GET", `/api/logs/${encodeURIComponent(log.id)}`);
  }
  return log;
}

/** Refuses a definition that still holds a header value `tock export` left out. */
function checkNoRedacted(body: Record<string, unknown>): void {
  const headers = isRecord(body.webhook) && isRecord(body.webhook.headers)
    ? body.webhook.headers
    : {};
  for (const [k, v] of Object.entries(headers)) {
    if (v === REDACTED) {
      throw new UsageError(
        `webhook.headers.${k}: the value was left out by tock export; write it in the file`,
        "test",
      );
    }
  }
}

/** `tock test <file|-> [--name n] [--payload json] [--wait duration]` */
export async function testCommand(ctx: Ctx): Promise<number> {
  const waitRaw = str(ctx.values, "wait");
  const waitMs = waitRaw === undefined ? 30_000 : parseDuration(waitRaw, "--wait", "test");
  const parsed = await readJsonInput(ctx, ctx.positionals[0], "test");
  const body = pickDefinition(parsed, str(ctx.values, "name"));
  checkNoRedacted(body);
  const payload = jsonOption(ctx.values, "payload", "test");
  if (payload !== undefined) body.payload = payload;
  const result = await ctx.client.request<{ log: LogEntry; occurrences: string[] }>(
    "POST",
    "/api/test",
    { body },
  );
  // The server answers while the webhook delivery is still under way: follow it to its end.
  if (waitMs > 0) result.log = await settle(ctx, result.log, waitMs);
  const log = result.log;
  if (ctx.json) {
    ctx.out(JSON.stringify(result, null, 2));
  } else {
    ctx.out(`Test firing of "${log.triggerName}" (nothing saved)\n${logDetails(log)}`);
    ctx.out(
      result.occurrences.length === 0
        ? "No upcoming runs"
        : ["Next runs:", ...result.occurrences.map((o) => `  ${o}`)].join("\n"),
    );
  }
  if (log.outcome === "pending" && waitMs > 0) {
    ctx.err(`error: the webhook delivery was still pending after ${waitRaw ?? "30s"} (--wait)`);
    return 1;
  }
  if (log.outcome === "failed") {
    ctx.err(
      `error: the webhook delivery failed${log.delivery?.error ? `: ${log.delivery.error}` : ""}`,
    );
    return 1;
  }
  return 0;
}
