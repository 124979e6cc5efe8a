/** Every Deno KV key Tock uses is spelled here and nowhere else. */

/** The per-trigger counter key for log statistics; test firings count under "test". */
export type CounterId = string;

export const keys = {
  trigger: (id: string) => ["triggers", id] as const,
  triggersPrefix: () => ["triggers"] as const,
  triggerName: (name: string) => ["trigger_names", name] as const,
  due: (atMs: number, id: string) => ["due", atMs, id] as const,
  duePrefix: () => ["due"] as const,
  /** Firings made outside the schedule (api, manual), a KvU64 summed without conflicts. */
  triggerRuns: (id: string) => ["trigger_runs", id] as const,
  /** Latest api/manual firing time in ms, a KvU64 kept with `max`. */
  triggerLastRun: (id: string) => ["trigger_last_run", id] as const,

  log: (logId: string) => ["logs", logId] as const,
  logsPrefix: () => ["logs"] as const,
  logByTrigger: (triggerId: string, logId: string) =>
    ["logs_by_trigger", triggerId, logId] as const,
  logsByTriggerPrefix: (triggerId: string) => ["logs_by_trigger", triggerId] as const,
  logByName: (name: string, logId: string) => ["logs_by_name", name, logId] as const,
  logsByNamePrefix: (name: string) => ["logs_by_name", name] as const,
  /**
   * Log statistics live under one prefix so one list read (one snapshot) returns them all:
   * per counter id, entries not yet deleted and entries the sweep has counted as archived
   * (KvU64 each) and the name last seen (so stats can name deleted triggers); and the sweep
   * cursor, whose "~" sorts after every counter id (ULIDs and "test").
   */
  logCount: (counter: CounterId) => ["log_stats", counter, "count"] as const,
  logArchived: (counter: CounterId) => ["log_stats", counter, "archived"] as const,
  logCounterName: (counter: CounterId) => ["log_stats", counter, "name"] as const,
  logStatsPrefix: () => ["log_stats"] as const,
  /** How far the sweep has counted entries archived and deleted them (ULID key bounds). */
  logSweepCursor: () => ["log_stats", "~sweep"] as const,
  /** A delayed test firing (/test_trigger) not yet made: durable across crashes. */
  pendingTest: (atMs: number, id: string) => ["test_pending", atMs, id] as const,
  pendingTestsPrefix: () => ["test_pending"] as const,

  // webhook: the durable delivery outbox (webhook/outbox.ts)
  /** A firing's webhook delivery: its attempt series, lease and final state. */
  delivery: (logId: string) => ["deliveries", logId] as const,
  /** When an unfinished delivery is next due: its next attempt, or its lease's expiry. */
  deliveryDue: (atMs: number, logId: string) => ["deliveries_due", atMs, logId] as const,
  deliveriesDuePrefix: () => ["deliveries_due"] as const,
  /** Set by KV when the queue gave up on a wake-up message (the due poll still covers it). */
  deliveryUndelivered: (logId: string) => ["deliveries_undelivered", logId] as const,

  /** An `Idempotency-Key` of an on-demand firing (db/idempotency.ts), kept 24 h. */
  idempotency: (triggerId: string, key: string) => ["idem", triggerId, key] as const,
  /** This instance's health probe write (db/health.ts), short-lived. */
  health: (instanceId: string) => ["health", instanceId] as const,

  // backfill (issue 17): durable jobs and the per-occurrence "fired" markers they check
  /** A backfill job: its window, progress cursor and lease (db/backfill.ts). */
  backfillJob: (triggerId: string, jobId: string) => ["backfill", triggerId, jobId] as const,
  backfillJobsPrefix: () => ["backfill"] as const,
  /** Set in the commit of a backfill firing, checked absent: an occurrence fires once. */
  firedOccurrence: (triggerId: string, occurrenceMs: number) =>
    ["fired_occ", triggerId, occurrenceMs] as const,

  /** Consecutive final delivery failures of a trigger (KvU64), deleted by a success. */
  deliveryFailures: (triggerId: string) => ["delivery_failures", triggerId] as const,

  /** One housekeeping run per job per minute across instances. */
  cronLock: (job: string, minute: number) => ["cron", job, minute] as const,
};
