/** How triggers and log entries read in a terminal: one-line summaries of their fields. */
import type { LogEntry, Trigger } from "../core/schemas.ts";
import { keyValues, line } from "./table.ts";

/** A schedule in a few words: `cron 0 16 * * * Asia/Kolkata`, `every 60s`, `at 2026-...`. */
export function describeSchedule(schedule: Trigger["schedule"]): string {
  if (schedule === null) return "-";
  if ("at" in schedule) return `at ${schedule.at}`;
  const parts = "cron" in schedule
    ? [`cron ${schedule.cron}`, schedule.timezone === "UTC" ? "" : schedule.timezone]
    : [`every ${schedule.everySeconds}s`];
  if (schedule.endAt) parts.push(`until ${schedule.endAt}`);
  if (schedule.maxRuns) parts.push(`max ${schedule.maxRuns} runs`);
  return parts.filter((p) => p !== "").join(" ");
}

export const TRIGGER_COLUMNS = ["ID", "NAME", "TYPE", "STATUS", "SCHEDULE", "NEXT RUN", "RUNS"];

/** A trigger as a row under `TRIGGER_COLUMNS`. */
export function triggerRow(t: Trigger): string[] {
  return [
    t.id,
    t.name,
    t.type,
    t.status,
    describeSchedule(t.schedule),
    t.nextRunAt ?? "-",
    String(t.runCount),
  ];
}

/** Every field of one trigger, aligned. */
export function triggerDetails(t: Trigger): string {
  return keyValues([
    ["id", t.id],
    ["name", t.name],
    ["type", t.type],
    ["status", t.status],
    ["schedule", describeSchedule(t.schedule)],
    ["next run", t.nextRunAt ?? "-"],
    ["last run", t.lastRunAt ?? "-"],
    ["runs", String(t.runCount)],
    ["misfire", t.misfire],
    ["overlap", t.overlap ?? "allow"],
    ["webhook", t.webhook ? `${t.webhook.method} ${t.webhook.url}` : "-"],
    ["payload", JSON.stringify(t.payload)],
    ["payload schema", t.payloadSchema === null ? "-" : JSON.stringify(t.payloadSchema)],
    ["created", t.createdAt],
    ["updated", t.updatedAt],
    ["version", String(t.version)],
  ]);
}

export const LOG_COLUMNS = ["FIRED AT", "TRIGGER", "SOURCE", "OUTCOME", "LATE", "STATE", "ID"];
/** Fixed widths for streamed rows, whose widest cell is not known in advance. */
export const LOG_WIDTHS = [24, 24, 8, 8, 8, 8, 26];

/** A log entry as a row under `LOG_COLUMNS`. */
export function logRow(e: LogEntry): string[] {
  return [
    e.firedAt,
    e.triggerName + (e.test ? " (test)" : ""),
    e.source + (e.catchUp ? "*" : ""),
    e.outcome,
    e.lateMs === null ? "-" : `${e.lateMs}ms`,
    e.state,
    e.id,
  ];
}

/** A log row at the fixed streaming widths. */
export function logLine(e: LogEntry): string {
  return line(logRow(e), LOG_WIDTHS);
}

/** Every field of one log entry, aligned. */
export function logDetails(e: LogEntry): string {
  const d = e.delivery;
  return keyValues([
    ["id", e.id],
    ["trigger", `${e.triggerName}${e.triggerId ? ` (${e.triggerId})` : ""}`],
    ["source", e.source + (e.test ? " (test)" : "")],
    ["scheduled for", e.scheduledFor ?? "-"],
    ["fired at", e.firedAt],
    ["late", e.lateMs === null ? "-" : `${e.lateMs}ms`],
    ["catch-up", e.catchUp ? "yes" : "no"],
    ["outcome", e.outcome],
    [
      "delivery",
      d
        ? `status ${d.status ?? "-"}, ${d.attempts} attempt(s), ${d.durationMs}ms${
          d.error ? `, ${d.error}` : ""
        }`
        : "-",
    ],
    ["payload", JSON.stringify(e.payload)],
  ]);
}
