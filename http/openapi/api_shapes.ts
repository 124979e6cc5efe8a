/** The response shapes of Tock's API that have no zod schema of their own elsewhere, named. */
import { z } from "zod";
import { LogEntry, TestRequest, Trigger, TriggerCreate, TriggerPatch } from "../../core/schemas.ts";
import { Page } from "../../core/request_schemas.ts";
// Issue 14: the listing's total, bulk actions, the histogram.
import { BulkRequest, BulkResult, Histogram, TriggerPage } from "../../core/request_schemas.ts";
import { BackfillBody, BackfillResult, PauseBody } from "../../core/request_schemas.ts";
import { ProblemSchema } from "../../core/errors.ts";
import { LegacyRemoveBody, LegacyScheduleBody } from "../../routes/legacy.ts";
import type { Body, NamedSchema, Reply, RouteSpec } from "./openapi_builder.ts";

/** The tags of Tock's routes, in the document's order. */
export type Tag = "triggers" | "logs" | "test" | "events" | "operations" | "reference";

/** A route of Tock's table. */
export type TockRoute = RouteSpec & { tag: Tag };

export const anyJson = z.json().meta({ description: "Any JSON value" });
const Occurrences = z.object({ occurrences: z.array(z.iso.datetime()) });
/** `missed`/`skipped`: retained records of those outcomes, counted within active + archived. */
const LogStats = z.object({
  active: z.int(),
  archived: z.int(),
  missed: z.int(),
  skipped: z.int(),
  byTrigger: z.array(z.object({
    triggerId: z.string().nullable(),
    triggerName: z.string(),
    active: z.int(),
    archived: z.int(),
    missed: z.int(),
    skipped: z.int(),
  })),
  triggers: z.int().optional().meta({
    description: "With ?top=: how many rows there are in all (byTrigger holds the busiest)",
  }),
});
const TestResult = z.object({ log: LogEntry, occurrences: z.array(z.iso.datetime()) });
const Health = z.looseObject({
  ok: z.boolean(),
  kv: z.object({ ok: z.boolean(), latencyMs: z.number(), error: z.string().nullable() }),
});
const LegacyError = z.object({ error: z.string() });
/** /remove_trigger's body (the route parses the same shape). */
export const LegacyTrigger = z.object({
  trigger_name: z.string(),
  trigger_type: z.enum(["scheduled", "api"]),
  schedule: z.string().nullable(),
  payload: z.json(),
  next_run_at: z.string().nullable(),
});
export const LegacyLog = z.object({
  trigger_name: z.string(),
  executed_at: z.string(),
  source: z.string(),
  payload: z.json(),
  state: z.string(),
});

/** Named component schemas and the direction each is converted in. */
export const NAMED: Record<string, NamedSchema> = {
  TriggerCreate: { schema: TriggerCreate, io: "input" },
  TriggerPatch: { schema: TriggerPatch, io: "input" },
  TestRequest: { schema: TestRequest, io: "input" },
  LegacyScheduleBody: { schema: LegacyScheduleBody, io: "input" },
  LegacyRemoveBody: { schema: LegacyRemoveBody, io: "input" },
  Trigger: { schema: Trigger, io: "output" },
  TriggerPage: { schema: TriggerPage, io: "output" },
  BulkRequest: { schema: BulkRequest, io: "input" },
  BulkResult: { schema: BulkResult, io: "output" },
  Histogram: { schema: Histogram, io: "output" },
  LogEntry: { schema: LogEntry, io: "output" },
  LogPage: { schema: Page(LogEntry), io: "output" },
  LogStats: { schema: LogStats, io: "output" },
  Occurrences: { schema: Occurrences, io: "output" },
  TestResult: { schema: TestResult, io: "output" },
  Health: { schema: Health, io: "output" },
  Problem: { schema: ProblemSchema, io: "output" },
  LegacyError: { schema: LegacyError, io: "output" },
  // issue 17
  PauseBody: { schema: PauseBody, io: "input" },
  BackfillBody: { schema: BackfillBody, io: "input" },
  BackfillResult: { schema: BackfillResult, io: "output" },
};

export const problem = (description: string): Reply => ({
  description,
  name: "Problem",
  contentType: "application/problem+json",
});
export const legacyError = (description: string): Reply => ({ description, name: "LegacyError" });
export const triggerReply = (description: string): Reply => ({ description, name: "Trigger" });
export const logReply = (description: string): Reply => ({ description, name: "LogEntry" });

export const body = (name: keyof typeof NAMED, required = true, description?: string): Body => ({
  name,
  schema: NAMED[name].schema,
  required,
  description,
});
