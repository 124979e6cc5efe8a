/** Every Deno KV key Tock uses is spelled here and nowhere else. */

/** The per-trigger counter key for log statistics; test firings count under "test". */
export type CounterId = string;

export const keys = {
  trigger: (id: string) => ["triggers", id] as const,
  triggersPrefix: () => ["triggers"] as const,
  triggerName: (name: string) => ["trigger_names", name] as const,
  /**
   * A trigger's definition version, written by every service write of the trigger (never by
   * claims or firings): on-demand firings check its versionstamp (db/trigger_cache.ts).
   */
  triggerDef: (id: string) => ["trigger_def", id] as const,
  due: (atMs: number, id: string) => ["due", atMs, id] as const,
  duePrefix: () => ["due"] as const,
  /** Firings made outside the schedule (api, manual), a KvU64 summed without conflicts. */
  triggerRuns: (id: string) => ["trigger_runs", id] as const,
  /** Latest api/manual firing time in ms, a KvU64 kept with `max`. */
  triggerLastRun: (id: string) => ["trigger_last_run", id] as const,

  // Listing indexes (db/trigger_index.ts), written in the same commits as the record.
  /** A trigger carries `tag`. */
  triggerTag: (tag: string, id: string) => ["trig_tag", tag, id] as const,
  triggerTagPrefix: (tag: string) => ["trig_tag", tag] as const,
  /** Triggers carrying `tag`, a KvU64. */
  triggerTagCount: (tag: string) => ["trig_tag_count", tag] as const,
  /** Triggers per status and type, KvU64 each: totals without a scan. */
  triggerCount: (status: string, type: string) => ["trig_count", status, type] as const,
  triggerCountPrefix: () => ["trig_count"] as const,
  /** Paused triggers by pending occurrence (active ones are in the due index). */
  pausedNext: (atMs: number, id: string) => ["trig_next_paused", atMs, id] as const,
  pausedNextPrefix: () => ["trig_next_paused"] as const,
  /** Triggers whose view has no `nextRunAt` (api, completed): they sort last by it. */
  noNext: (id: string) => ["trig_no_next", id] as const,
  noNextPrefix: () => ["trig_no_next"] as const,
  triggerLastRunPrefix: () => ["trigger_last_run"] as const,
  triggerNamesPrefix: () => ["trigger_names"] as const,
  /**
   * The change feed other instances read (db/trigger_feed.ts), per writing instance (its
   * origin), expiring after minutes. ("trigger_changes" held the feed before it was split by
   * origin; its entries expire by themselves.)
   */
  triggerChange: (origin: string, ulid: string) => ["trigger_feed", origin, ulid] as const,
  triggerChangesPrefix: (origin?: string) =>
    origin === undefined ? ["trigger_feed"] as const : ["trigger_feed", origin] as const,
  /** An origin's low mark: every feed entry it stamped earlier has landed (db/trigger_feed.ts). */
  triggerFeedMark: (origin: string) => ["trigger_feed_mark", origin] as const,
  /** Firings per counter id (or "*" for all) and minute, per outcome: the histogram. */
  hist: (counter: string, minuteMs: number, outcome: string) =>
    ["hist", counter, minuteMs, outcome] as const,
  histPrefix: (counter: string) => ["hist", counter] as const,

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
   * (KvU64 each); and the sweep cursor, whose "~" sorts after every counter id (ULIDs and
   * "test"). Only counters of ids with entries live here, so that read grows with them, not
   * with the triggers stored.
   */
  logCount: (counter: CounterId) => ["log_stats", counter, "count"] as const,
  logArchived: (counter: CounterId) => ["log_stats", counter, "archived"] as const,
  /** Every key of one counter id: count, archived and the record outcomes. */
  logCounterPrefix: (counter: CounterId) => ["log_stats", counter] as const,
  /**
   * A trigger's name for stats (written at create and rename), so stats can name a deleted
   * trigger's entries; outside `["log_stats"]`, which every trigger would otherwise grow.
   */
  logCounterName: (counter: CounterId) => ["log_names", counter] as const,
  logCounterNamesPrefix: () => ["log_names"] as const,
  /** Where stores written before `logCounterName` moved keep a name: read and removed. */
  logCounterNameLegacy: (counter: CounterId) => ["log_stats", counter, "name"] as const,
  /**
   * A counter the sweep took entries off, or a deleted trigger's: it may have reached zero.
   * The sweep's last step checks exactly these (and removes what is zero), not every counter.
   */
  logZeroCheck: (counter: CounterId) => ["log_zero_check", counter] as const,
  logZeroChecksPrefix: () => ["log_zero_check"] as const,
  /** Entries not yet deleted with a record outcome ("missed" or "skipped"), KvU64 each. */
  logOutcomeCount: (counter: CounterId, outcome: string) =>
    ["log_stats", counter, outcome] as const,
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

  /**
   * The firing of a trigger with `overlap` skip or buffer_one whose delivery is pending, and
   * the one buffered behind it (db/inflight.ts); absent while nothing is in flight.
   */
  inflight: (triggerId: string) => ["inflight", triggerId] as const,

  /** One housekeeping run per job per minute across instances. */
  cronLock: (job: string, minute: number) => ["cron", job, minute] as const,
};
