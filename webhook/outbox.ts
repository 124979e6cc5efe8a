/**
 * The durable webhook outbox. A firing's commit also writes its delivery record and a due
 * entry, so a delivery is never lost: after a crash the record is still due, and the first
 * instance to look (at start, then every poll) makes it. Each attempt first claims the record
 * with a check-and-set that takes a lease (the due entry moves to the lease's expiry), so no two
 * instances send one attempt unless the holder died mid-attempt; the HTTP call runs outside any
 * queue handler. A retry is woken by a local timer and, on backends with queues, by a delayed
 * `kv.enqueue` written in the same commit (`backoffSchedule`, `keysIfUndelivered`), so it keeps
 * its time across restarts and instances; without queues the poll is that backstop. Receivers
 * drop the rare duplicate by `Idempotency-Key`.
 *
 * First attempts and leases are not enqueued: a message costs an enqueue, a dequeue and an ack
 * (SQLite writes each) per firing, and the kick plus the due poll already make them durable.
 */
import { z } from "zod";
import type { Deps, Outbox } from "../deps.ts";
import { keys } from "../db/keys.ts";
import { backstopMs, toLogView } from "../db/logs.ts";
import { ConflictError, NotFoundError } from "../errors.ts";
import type { StoredLog, TriggerRecord, Webhook } from "../schemas.ts";
import { GroupCommitter, type WriteFn } from "../scheduler/group_commit.ts";
import { AttemptAborted, sendAttempt } from "./deliver.ts";
import { HostLimiter, laneKey } from "./host_limiter.ts";
import { applyDeliveryHeaders } from "./delivery_headers.ts";
import { type AttemptResult, isRetryable, isSuccess, nextDelay } from "./policy.ts";
import { type DeliveryRecord, newDelivery } from "./record.ts";

/** The queue message that wakes a delivery; parsed before it is trusted. */
export const OutboxMessage = z.object({ kind: z.literal("webhook.delivery"), logId: z.string() });
export type OutboxMessage = z.infer<typeof OutboxMessage>;

/** Redelivery of a wake-up message whose handler threw (KV trouble), per DESIGN.md. */
const QUEUE_BACKOFF = [1_000, 5_000, 30_000];

export type Delivery = NonNullable<StoredLog["delivery"]>;

export interface OutboxOptions {
  /** Whether the KV backend has queues; default: yes unless `config.kv` is a KV Connect URL. */
  queues?: boolean;
  /** How often the due records are polled; default 1 s without queues, 5 s with them. */
  pollMs?: number;
  /** Requests in flight per destination (host and port); default 4. */
  perHost?: number;
  /** Requests in flight per trigger, taken before the host's; default 2. */
  perTrigger?: number;
  /** Refuse loopback/private/link-local/CGNAT destinations (`--webhook-deny-private`). */
  denyPrivate?: boolean;
  /** How long a lease outlives the attempt's timeout; default 5 s. */
  leaseMarginMs?: number;
  /** Called with the final log entry once a delivery series ends (metrics). */
  onSettled?: (log: StoredLog) => void;
  /** Source of jitter; tests may pin it. */
  random?: () => number;
}

type OutboxDeps = Pick<Deps, "kv" | "clock" | "config" | "committer" | "metrics">;
type Leased = Deno.KvEntry<DeliveryRecord>;

/** True when `kv` is a KV Connect URL, which has no queues. */
export function hasQueues(kvPath: string): boolean {
  return !/^https?:\/\//i.test(kvPath);
}

/** Headers the outbox sets; a webhook's own headers of the same names are replaced. */
const RESERVED = new Set([
  "content-type",
  "tock-trigger",
  "tock-log-id",
  "tock-attempt",
  "idempotency-key",
  "tock-signature",
]);

export class WebhookOutbox implements Outbox {
  readonly #deps: OutboxDeps;
  readonly #kv: Deno.Kv;
  readonly #queues: boolean;
  readonly #pollMs: number;
  readonly #leaseMarginMs: number;
  readonly #onSettled?: (log: StoredLog) => void;
  readonly #random: () => number;
  readonly #limiter: HostLimiter;
  /** Claims and outcomes share commits with each other and with firings (one fsync for many). */
  readonly #committer: GroupCommitter;
  /** Deliveries this instance is working on (waiting for a slot, claiming, sending). */
  #local = new Set<string>();
  #tasks = new Set<Promise<void>>();
  #timers = new Map<string, { atMs: number; timer: ReturnType<typeof setTimeout> }>();
  #pollTimer: ReturnType<typeof setInterval> | undefined;
  #polling: Promise<void> | null = null;
  #stop = new AbortController();
  readonly #denyPrivate: boolean;

  constructor(deps: OutboxDeps, opts: OutboxOptions = {}) {
    this.#deps = deps;
    this.#kv = deps.kv;
    this.#queues = opts.queues ?? hasQueues(deps.config.kv);
    this.#pollMs = opts.pollMs ?? (this.#queues ? 5_000 : 1_000);
    this.#leaseMarginMs = opts.leaseMarginMs ?? 5_000;
    this.#onSettled = opts.onSettled;
    this.#random = opts.random ?? Math.random;
    this.#limiter = new HostLimiter(opts.perHost ?? 4, opts.perTrigger ?? 2);
    this.#denyPrivate = opts.denyPrivate ?? false;
    this.#committer = deps.committer ?? new GroupCommitter(deps.kv);
  }

  /** Whether wake-up messages are enqueued (and `listenQueue` should route them here). */
  get usesQueues(): boolean {
    return this.#queues;
  }

  addWrites(op: Deno.AtomicOperation, log: StoredLog, trigger: TriggerRecord): void {
    if (!trigger.webhook) return;
    const rec = newDelivery(log, trigger.webhook, Date.parse(log.firedAt));
    op.set(keys.delivery(log.id), rec);
    op.set(keys.deliveryDue(rec.dueAtMs, log.id), log.id);
  }

  kick(logs: StoredLog[]): void {
    for (const log of logs) this.#wake(log.id);
  }

  /** The queue handler's part: parse, start the delivery in the background, return at once. */
  onMessage(raw: unknown): void {
    const msg = OutboxMessage.safeParse(raw);
    if (!msg.success) {
      console.error("webhook outbox: dropped a malformed queue message:", JSON.stringify(raw));
      return;
    }
    this.#wake(msg.data.logId);
  }

  /** Picks up every delivery already due (left by a crash or another instance), then polls. */
  start(): Promise<void> {
    this.#deps.metrics?.setDeliveryBacklog(() => this.backlog());
    this.#pollTimer = setInterval(() => void this.#pollOnce(), this.#pollMs);
    return this.#pollOnce();
  }

  /**
   * Stops taking work, aborts attempts in flight (their records are released for the next
   * start, the attempt not counted) and resolves when every task has written its state.
   */
  async stop(): Promise<void> {
    clearInterval(this.#pollTimer);
    this.#stop.abort(new AttemptAborted("Delivery stopped by shutdown"));
    for (const { timer } of this.#timers.values()) clearTimeout(timer);
    this.#timers.clear();
    await this.#polling;
    while (this.#tasks.size) await Promise.allSettled([...this.#tasks]);
  }

  /** Unfinished deliveries in KV, all instances (counted up to `max`), for `/metrics`. */
  async backlog(max = 10_000): Promise<number> {
    let n = 0;
    const iter = this.#kv.list({ prefix: keys.deliveriesDuePrefix() }, { limit: max });
    for await (const _ of iter) n++;
    return n;
  }

  /** Deliveries in flight and waiting for a slot on this instance. */
  stats(): { active: number; waiting: number; scheduled: number } {
    return { ...this.#limiter.counts(), scheduled: this.#timers.size };
  }

  /**
   * Starts a new attempt series for the entry `logId` (`POST /api/logs/:id/redeliver`). It goes
   * to the trigger's current webhook, or the one the firing was made with when the trigger is
   * gone or has none now. NotFoundError for unknown entries, ConflictError when the entry was
   * not a webhook firing or a delivery of it is in progress.
   */
  async redeliver(logId: string): Promise<StoredLog> {
    const { config } = this.#deps;
    for (let i = 0; i < 10; i++) {
      const now = this.#deps.clock.now();
      const [logE, recE] = await this.#kv.getMany<[StoredLog, DeliveryRecord]>([
        keys.log(logId),
        keys.delivery(logId),
      ]);
      const log = logE.value;
      if (!log || !toLogView(log, now, config)) {
        throw new NotFoundError(`No log entry with id "${logId}"`);
      }
      if (recE.value?.state === "pending") {
        throw new ConflictError(`A delivery of log entry "${logId}" is in progress`);
      }
      if (log.outcome === "ok" && log.delivery === null && !recE.value) {
        throw new ConflictError(`Log entry "${logId}" was not a webhook firing`);
      }
      let webhook: Webhook | null = null;
      if (log.triggerId !== null) {
        webhook = (await this.#kv.get<TriggerRecord>(keys.trigger(log.triggerId))).value?.webhook ??
          null;
      }
      webhook ??= recE.value?.webhook ?? null;
      if (!webhook) {
        throw new ConflictError(`Log entry "${logId}" has no webhook to deliver to`);
      }
      const rec = newDelivery(log, webhook, now);
      const updated: StoredLog = { ...log, outcome: "pending", delivery: null };
      const res = await this.#commit(
        (op) => {
          op.check(logE).check(recE);
          op.set(keys.log(logId), updated, { expireIn: logExpireIn(log, now, config) });
          op.set(keys.delivery(logId), rec);
          op.set(keys.deliveryDue(now, logId), logId);
        },
        updated,
        rec,
      );
      if (res.ok) {
        this.#wake(logId);
        return updated;
      }
    }
    throw new ConflictError(`Log entry "${logId}" is changing too often, try again`);
  }

  #addWake(op: Deno.AtomicOperation, logId: string, delay: number): void {
    if (!this.#queues) return;
    const msg: OutboxMessage = { kind: "webhook.delivery", logId };
    op.enqueue(msg, {
      delay: Math.max(0, Math.round(delay)),
      backoffSchedule: QUEUE_BACKOFF,
      keysIfUndelivered: [keys.deliveryUndelivered(logId)],
    });
  }

  #pollOnce(): Promise<void> {
    if (this.#polling || this.#stop.signal.aborted) return this.#polling ?? Promise.resolve();
    this.#polling = (async () => {
      try {
        const now = this.#deps.clock.now();
        const prefix = keys.deliveriesDuePrefix();
        const iter = this.#kv.list<string>({ start: prefix, end: [...prefix, now + 1] }, {
          limit: 1_000,
        });
        for await (const e of iter) {
          const logId = e.key[2] as string;
          if (!this.#local.has(logId)) this.#wake(logId, e);
        }
      } catch (err) {
        if (!this.#stop.signal.aborted) {
          console.error("webhook outbox: poll failed:", (err as Error).message);
        }
      } finally {
        this.#polling = null;
      }
    })();
    return this.#polling;
  }

  /** Starts work on `logId` unless it is under way here. `due` is the index entry polled. */
  #wake(logId: string, due?: Deno.KvEntry<string>): void {
    if (this.#stop.signal.aborted || this.#local.has(logId)) return;
    this.#local.add(logId);
    const task = this.#run(logId, due).finally(() => {
      this.#local.delete(logId);
      this.#tasks.delete(task);
    });
    this.#tasks.add(task);
  }

  /** Wakes `logId` again in `delayMs` (a retry's backoff, an early wake, a lease to wait out). */
  #later(logId: string, delayMs: number): void {
    if (this.#stop.signal.aborted) return;
    const atMs = this.#deps.clock.now() + delayMs;
    const held = this.#timers.get(logId);
    if (held && held.atMs <= atMs) return;
    if (held) clearTimeout(held.timer);
    const timer = setTimeout(() => {
      this.#timers.delete(logId);
      this.#wake(logId);
    }, Math.max(0, delayMs));
    this.#timers.set(logId, { atMs, timer });
  }

  async #run(logId: string, due?: Deno.KvEntry<string>): Promise<void> {
    try {
      const first = await this.#readDue(logId, due);
      if (!first) return;
      const host = laneKey(first.value.triggerId ?? logId, first.value.webhook.url);
      let entry: Leased | null = first;
      let release = this.#limiter.tryAcquire(host);
      try {
        if (!release) {
          release = await this.#limiter.acquire(host, this.#stop.signal);
          // Waiting for a slot can take a while: take the current state, not the first read.
          entry = await this.#readDue(logId);
        }
        if (!entry) return;
        const leased = await this.#claim(entry);
        if (leased) await this.#attempt(leased);
      } finally {
        release?.();
      }
    } catch (err) {
      if (this.#stop.signal.aborted) return;
      // KV trouble: try again shortly; the due record keeps the delivery meanwhile.
      console.error(`webhook outbox: delivery ${logId} failed to run:`, (err as Error).message);
      this.#later(logId, 1_000);
    }
  }

  /** The pending record of `logId` if an attempt is due now; otherwise arranges a later look. */
  async #readDue(logId: string, due?: Deno.KvEntry<string>): Promise<Leased | null> {
    const entry = await this.#kv.get<DeliveryRecord>(keys.delivery(logId));
    const rec = entry.value;
    if (!rec || rec.state !== "pending") {
      // An index entry without a pending record (its record expired): remove it.
      if (due) await this.#kv.atomic().check(due).delete(due.key).commit();
      return null;
    }
    const wait = rec.dueAtMs - this.#deps.clock.now();
    if (wait > 0) {
      // A lease is waited out by its own wake-up (message or poll); a retry gets a timer.
      if (rec.lease === null) this.#later(logId, wait);
      return null;
    }
    return entry as Leased;
  }

  /**
   * Takes the lease for the next attempt with a check-and-set: counts the attempt and moves
   * the due entry to the lease's expiry, so if this instance dies the attempt is made again.
   */
  async #claim(entry: Leased): Promise<Leased | null> {
    const rec = entry.value;
    const now = this.#deps.clock.now();
    if (rec.lease !== null && rec.attempts >= rec.webhook.retries + 1) {
      // The last allowed attempt was lost with its instance: end the series as failed.
      await this.#record(
        entry,
        {
          status: null,
          error: "The last attempt was lost when its instance stopped",
          retryAfter: null,
        },
        false,
        0,
      );
      return null;
    }
    const leaseUntil = now + rec.webhook.timeoutMs + this.#leaseMarginMs;
    const next: DeliveryRecord = {
      ...rec,
      attempts: rec.attempts + 1,
      dueAtMs: leaseUntil,
      lease: crypto.randomUUID(),
    };
    const res = await this.#commit((op) =>
      op.check(entry)
        .set(keys.delivery(rec.logId), next)
        .delete(keys.deliveryDue(rec.dueAtMs, rec.logId))
        .set(keys.deliveryDue(leaseUntil, rec.logId), rec.logId), next);
    return res.ok ? { key: entry.key, value: next, versionstamp: res.versionstamp } : null;
  }

  async #attempt(leased: Leased): Promise<void> {
    const rec = leased.value;
    const log = (await this.#kv.get<StoredLog>(keys.log(rec.logId))).value;
    if (!log) {
      // The entry is past retention: nothing left to deliver or to record the outcome in.
      await this.#commit((op) =>
        op.check(leased).delete(leased.key).delete(keys.deliveryDue(rec.dueAtMs, rec.logId))
      );
      return;
    }
    const body = JSON.stringify(log.payload ?? null);
    const headers = this.#headers(rec);
    const { signingSecret: secret } = this.#deps.config;
    await applyDeliveryHeaders(headers, { log, body, secret, nowMs: this.#deps.clock.now() });
    let result: AttemptResult;
    const started = performance.now();
    try {
      result = await sendAttempt({
        url: rec.webhook.url,
        method: rec.webhook.method,
        headers,
        body,
        timeoutMs: rec.webhook.timeoutMs,
        signal: this.#stop.signal,
        denyPrivate: this.#denyPrivate,
      });
    } catch (err) {
      if (!(err instanceof AttemptAborted)) throw err;
      await this.#release(leased);
      return;
    }
    await this.#record(leased, result, true, Math.round(performance.now() - started));
  }

  #headers(rec: DeliveryRecord): Record<string, string> {
    const headers: Record<string, string> = {};
    for (const [name, value] of Object.entries(rec.webhook.headers)) {
      if (!RESERVED.has(name.toLowerCase())) headers[name] = value;
    }
    headers["Content-Type"] = "application/json";
    headers["Tock-Trigger"] = rec.triggerId ?? "test";
    headers["Tock-Log-Id"] = rec.logId;
    headers["Tock-Attempt"] = String(rec.attempts);
    headers["Idempotency-Key"] = rec.idempotencyKey;
    return headers;
  }

  /**
   * Writes what an attempt came to: a retry due after its backoff, or the end of the series
   * (ok/failed) into the record and the log entry, in one commit; `delivery.durationMs` is the
   * attempt's own time (request to response), as receivers' latency is what it should show. Only the lease holder writes:
   * if the lease expired and another instance took over, this result is dropped (the other
   * instance's attempt decides).
   */
  async #record(
    leased: Leased,
    result: AttemptResult,
    counted: boolean,
    durationMs: number,
  ): Promise<void> {
    const { config } = this.#deps;
    const rec = leased.value;
    const success = isSuccess(result);
    const retry = counted && !success && isRetryable(result) &&
      rec.attempts < rec.webhook.retries + 1;
    for (let i = 0; i < 10; i++) {
      const now = this.#deps.clock.now();
      const [cur, logE] = await this.#kv.getMany<[DeliveryRecord, StoredLog]>([
        leased.key,
        keys.log(rec.logId),
      ]);
      if (cur.versionstamp !== leased.versionstamp) return;
      const delay = retry
        ? nextDelay(result, rec.webhook.backoffMs, rec.attempts, now, this.#random)
        : 0;
      const next: DeliveryRecord = retry
        ? { ...rec, dueAtMs: now + delay, lease: null }
        : { ...rec, state: "done", lease: null };
      const delivery: Delivery = {
        status: result.status,
        attempts: rec.attempts,
        durationMs,
        error: success ? null : result.error,
      };
      const log: StoredLog | null = logE.value
        ? { ...logE.value, outcome: retry ? "pending" : success ? "ok" : "failed", delivery }
        : null;
      const expireIn = log ? logExpireIn(log, now, config) : 3600_000;
      const res = await this.#commit(
        (op) => {
          op.check(cur).check(logE).delete(keys.deliveryDue(rec.dueAtMs, rec.logId));
          if (retry) {
            op.set(leased.key, next).set(keys.deliveryDue(next.dueAtMs, rec.logId), rec.logId);
            this.#addWake(op, rec.logId, delay);
          } else {
            op.set(leased.key, next, { expireIn }).delete(keys.deliveryUndelivered(rec.logId));
          }
          if (log) op.set(keys.log(rec.logId), log, { expireIn });
        },
        next,
        log,
      );
      if (!res.ok) continue; // the log entry changed (retention sweep): read again
      if (retry) this.#later(rec.logId, delay);
      else if (log) this.#settled(log);
      return;
    }
    throw new Error(`could not record the outcome of delivery ${rec.logId}`);
  }

  /** Shutdown interrupted an attempt: make it due again at once, not counted. */
  async #release(leased: Leased): Promise<void> {
    const rec = leased.value;
    const now = this.#deps.clock.now();
    const next: DeliveryRecord = { ...rec, attempts: rec.attempts - 1, dueAtMs: now, lease: null };
    await this.#commit((op) =>
      op.check(leased)
        .set(leased.key, next)
        .delete(keys.deliveryDue(rec.dueAtMs, rec.logId))
        .set(keys.deliveryDue(now, rec.logId), rec.logId), next);
  }

  /** Commits `write` in a shared commit; `values` are what it stores, to size the batch. */
  #commit(write: WriteFn, ...values: unknown[]): Promise<Deno.KvCommitResult | Deno.KvCommitError> {
    // Two bytes a character bounds V8's string sizes; 512 covers keys and small entries.
    const bytes = values.reduce<number>((n, v) => n + 2 * (JSON.stringify(v)?.length ?? 0), 512);
    return this.#committer.submit(write, bytes);
  }

  #settled(log: StoredLog): void {
    const d = log.delivery;
    if (d && log.outcome !== "pending") {
      this.#deps.metrics?.delivery(log.outcome, d.attempts, d.durationMs);
    }
    try {
      this.#onSettled?.(log);
    } catch (err) {
      console.error("webhook outbox: onSettled listener failed:", err);
    }
  }
}

/** What is left of a log entry's KV expiry at `nowMs`, so an update keeps its deadline. */
function logExpireIn(
  log: StoredLog,
  nowMs: number,
  w: Parameters<typeof backstopMs>[0],
): number {
  return Math.max(1_000, Date.parse(log.firedAt) + backstopMs(w) - nowMs);
}
