/**
 * zod schemas of time: instants on the wire, time zones, cron expressions and the four schedule
 * forms, as given and as stored.
 */
import { z } from "zod";
import { Cron } from "croner";

/** An instant on the wire: ISO 8601 with an offset; normalised to UTC with milliseconds. */
export const IsoInput = z.iso.datetime({ offset: true }).meta({
  description: "ISO 8601 instant, e.g. 2026-11-29T10:00:00.000Z",
});
export const IsoOut = z.iso.datetime().meta({
  description: "ISO 8601 UTC instant with milliseconds",
});

/** True when `tz` is an IANA zone the runtime knows. */
export function isTimeZone(tz: string): boolean {
  try {
    new Intl.DateTimeFormat("en-US", { timeZone: tz });
    return true;
  } catch {
    return false;
  }
}

/** Validates a 5- or 6-field cron expression; returns the problem or null. */
export function cronProblem(expr: string, timezone = "UTC"): string | null {
  const fields = expr.trim().split(/\s+/);
  if (fields.length !== 5 && fields.length !== 6) {
    return `Expected 5 fields (or 6 with seconds first), got ${fields.length}`;
  }
  try {
    new Cron(expr, { timezone, paused: true, mode: "5-or-6-parts" });
    return null;
  } catch (err) {
    return `Invalid cron expression "${expr}": ${
      (err as Error).message.replace(/^CronPattern: /, "")
    }`;
  }
}

const CronExpr = z.string().superRefine((expr, ctx) => {
  const problem = cronProblem(expr);
  if (problem) ctx.addIssue({ code: "custom", message: problem });
});
const TimeZone = z.string().refine(isTimeZone, { message: "Unknown IANA time zone" });
const MaxRuns = z.int().min(1).max(1_000_000_000);
const EverySeconds = z.number().min(1).max(366 * 86400).refine(
  (n) => Number.isInteger(Math.round(n * 1000)) && Math.abs(n * 1000 - Math.round(n * 1000)) < 1e-6,
  { message: "At most millisecond precision" },
);

export const AtSchedule = z.strictObject({ at: IsoInput });
export const DelaySchedule = z.strictObject({ delaySeconds: z.number().gt(0).max(366 * 86400) });
/** Issue 17: each occurrence fires at a deterministic offset in [0, jitterSeconds). */
const JitterSeconds = z.int().min(0).max(3600);
export const EverySchedule = z.strictObject({
  everySeconds: EverySeconds,
  startAt: IsoInput.optional(),
  endAt: IsoInput.optional(),
  maxRuns: MaxRuns.optional(),
  jitterSeconds: JitterSeconds.optional(),
});
export const CronSchedule = z.strictObject({
  cron: CronExpr,
  timezone: TimeZone.optional(),
  startAt: IsoInput.optional(),
  endAt: IsoInput.optional(),
  maxRuns: MaxRuns.optional(),
  jitterSeconds: JitterSeconds.optional(),
});

/** The four schedule forms, in the order `SCHEDULE_FORMS` names their keys. */
export const ScheduleInput = z.union([AtSchedule, DelaySchedule, EverySchedule, CronSchedule])
  .meta({ description: "Exactly one of at, delaySeconds, everySeconds, cron" });
export type ScheduleInput = z.infer<typeof ScheduleInput>;
export const SCHEDULE_FORMS = ["at", "delaySeconds", "everySeconds", "cron"] as const;

/** A schedule as stored and answered: delaySeconds becomes at, every has its anchor. */
export type Schedule =
  | { at: string }
  | {
    everySeconds: number;
    startAt: string;
    endAt?: string;
    maxRuns?: number;
    jitterSeconds?: number;
  }
  | {
    cron: string;
    timezone: string;
    startAt?: string;
    endAt?: string;
    maxRuns?: number;
    jitterSeconds?: number;
  };
export const StoredSchedule = z.union([
  z.object({ at: IsoOut }),
  z.object({
    everySeconds: z.number(),
    startAt: IsoOut,
    endAt: IsoOut.optional(),
    maxRuns: z.int().optional(),
    jitterSeconds: z.int().optional(),
  }),
  z.object({
    cron: z.string(),
    timezone: z.string(),
    startAt: IsoOut.optional(),
    endAt: IsoOut.optional(),
    maxRuns: z.int().optional(),
    jitterSeconds: z.int().optional(),
  }),
]);
