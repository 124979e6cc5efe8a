/**
 * The webhook outbox runtime. A firing's commit also writes its delivery record and a due
 * entry (db/deliveries.ts), so a delivery is never lost: after a crash the record is still due,
 * and the first instance to look (at start, then every poll) makes it. Each attempt first takes
 * a lease with a check-and-set (the due entry moves to the lease's expiry), so no two instances
 * send one attempt unless the holder died mid-attempt; the HTTP call runs outside any queue
 * handler. A retry is woken by a local timer and, on backends with queues, by a delayed
 * `kv.enqueue` written in the same commit, so it keeps its time across restarts and instances;
 * without queues the poll is that backstop. Receivers drop the rare duplicate by
 * `Idempotency-Key`.
 *
 * New firings reach it through the firing bus: it subscribes to published firings and to
 * deliveries made due by a redelivery. First attempts and leases are not enqueued: a message
 * costs an enqueue, a dequeue and an ack (SQLite writes each) per firing, and the bus plus the
 * due poll already make them durable.
 */
import {
  countDeliveryBacklog,
  type DeliveryEntry,
  dropDelivery,
  type DueDelivery,
  leaseDelivery,
  listDueDeliveries,
  readDeliveryLog,
  readPendingDelivery,
  recordDelivery,
  releaseDelivery,
} from "../db/deliveries.ts";
import { kvHasQueues } from "../db/queues.ts";
import type { Deps } from "../core/deps.ts";
import type { StoredLog } from "../core/schemas.ts";
import { AttemptAborted, sendAttempt } from "./deliver.ts";
import { systemResolver } from "./address_policy.ts";
import { PinnedTransport } from "./pinned_request.ts";
import { WakeTimers } from "./wake_timers.ts";
import { applyDeliveryHeaders } from "./delivery_headers.ts";
import { attemptHeaders } from "./headers.ts";
import { HostLimiter, laneKey } from "./host_limiter.ts";
import { type AttemptResult, isRetryable, isSuccess, nextDelay } from "./policy.ts";
import type { OutboxOptions } from "./outbox_options.ts";

type OutboxDeps = Pick<Deps, "kv" | "clock" | "config" | "committer" | "metrics" | "bus">;

export class WebhookOutbox {
  readonly #deps: OutboxDeps;
  readonly #queues: boolean;
  readonly #pollMs: number;
  readonly #leaseMarginMs: number;
  readonly #onSettled?: (log: StoredLog) => void;
  readonly #random: () => number;
  readonly #subscribe: boolean;
  readonly #limiter: HostLimiter;
  readonly #transport: PinnedTransport;
  /** Deliveries this instance is working on (waiting for a slot, claiming, sending). */
  #local = new Set<string>();
  /** Bound on `#local` and `#timers`: a burst or a receiver down never holds more here. */
  readonly #maxLocal: number;
  readonly #timers: WakeTimers;
  #tasks = new Set<Promise<void>>();
  #pollTimer: ReturnType<typeof setInterval> | undefined;
  #polling: Promise<void> | null = null;
  #stop = new AbortController();
  #unsubscribe: (() => void)[] = [];

  constructor(deps: OutboxDeps, opts: OutboxOptions = {}) {
    this.#deps = deps;
    this.#queues = opts.queues ?? kvHasQueues(deps.config.kv, opts.env);
    this.#pollMs = opts.pollMs ?? (this.#queues ? 5_000 : 1_000);
    this.#leaseMarginMs = opts.leaseMarginMs ?? 5_000;
    this.#onSettled = opts.onSettled;
    this.#random = opts.random ?? Math.random;
    this.#subscribe = opts.subscribe ?? true;
    this.#limiter = new HostLimiter(opts.perHost ?? 4, opts.perTrigger ?? 2);
    this.#transport = new PinnedTransport({
      denyPrivate: opts.denyPrivate ?? false,
      resolve: opts.resolve ?? systemResolver,
    });
    this.#maxLocal = opts.maxLocal ?? 2_000;
    this.#timers = new WakeTimers(this.#maxLocal, (id) => this.wake(id));
  }

  /** Whether wake-up messages are enqueued (and `listenQueue` should route them here). */
  get usesQueues(): boolean {
    return this.#queues;
  }

  /** Starts delivering these firings now (their records are durable already). */
  kick(logs: StoredLog[]): void {
    for (const log of logs) if (log.outcome === "pending") this.wake(log.id);
  }

  /**
   * Subscribes to the bus, picks up every delivery already due (left by a crash or another
   * instance), then polls.
   */
  start(): Promise<void> {
    const { bus, metrics } = this.#deps;
    if (this.#subscribe) {
      this.#unsubscribe.push(
        bus.subscribe((logs) => this.kick(logs)),
        bus.onDeliveryDue((ids) => ids.forEach((id) => this.wake(id))),
      );
    }
    metrics.setDeliveryBacklog(() => countDeliveryBacklog(this.#deps.kv));
    this.#pollTimer = setInterval(() => void this.#pollOnce(), this.#pollMs);
    return this.#pollOnce();
  }

  /**
   * Stops taking work, aborts attempts in flight (their records are released for the next
   * start, the attempt not counted) and resolves when every task has written its state.
   */
  async stop(): Promise<void> {
    for (const off of this.#unsubscribe.splice(0)) off();
    clearInterval(this.#pollTimer);
    this.#stop.abort(new AttemptAborted("Delivery stopped by shutdown"));
    this.#timers.clear();
    await this.#polling;
    while (this.#tasks.size) await Promise.allSettled([...this.#tasks]);
    this.#transport.close();
  }

  /** Deliveries in flight and waiting for a slot on this instance. */
  stats(): { active: number; waiting: number; scheduled: number } {
    return { ...this.#limiter.counts(), scheduled: this.#timers.size };
  }

  /** Starts work on `logId` unless it is under way here. `due` is the index entry polled. */
  wake(logId: string, due?: DueDelivery): void {
    if (this.#stop.signal.aborted || this.#local.has(logId)) return;
    // Full: the record waits in KV, due, and a later poll takes it.
    if (this.#local.size >= this.#maxLocal) return;
    this.#local.add(logId);
    const task = this.#run(logId, due).finally(() => {
      this.#local.delete(logId);
      this.#tasks.delete(task);
    });
    this.#tasks.add(task);
  }

  #pollOnce(): Promise<void> {
    if (this.#polling || this.#stop.signal.aborted) return this.#polling ?? Promise.resolve();
    this.#polling = (async () => {
      try {
        // Past those under way here, so a stuck host's backlog never hides other deliveries.
        const limit = 1_000 + this.#local.size;
        for (const { logId, due } of await listDueDeliveries(this.#deps.kv, this.#now(), limit)) {
          if (!this.#local.has(logId)) this.wake(logId, due);
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

  #now(): number {
    return this.#deps.clock.now();
  }

  /** Wakes `logId` again in `delayMs` (a retry's backoff, an early wake, a lease to wait out). */
  #later(logId: string, delayMs: number): void {
    if (!this.#stop.signal.aborted) this.#timers.set(logId, this.#now(), delayMs);
  }

  async #run(logId: string, due?: DueDelivery): Promise<void> {
    try {
      const first = await this.#readDue(logId, due);
      if (!first) return;
      const host = laneKey(first.value.triggerId ?? logId, first.value.webhook.url);
      let entry: DeliveryEntry | null = first;
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
  async #readDue(logId: string, due?: DueDelivery): Promise<DeliveryEntry | null> {
    const entry = await readPendingDelivery(this.#deps.kv, logId, due);
    if (!entry) return null;
    const wait = entry.value.dueAtMs - this.#now();
    if (wait > 0) {
      // A lease is waited out by its own wake-up (message or poll); a retry gets a timer.
      if (entry.value.lease === null) this.#later(logId, wait);
      return null;
    }
    return entry;
  }

  /** Takes the lease for the next attempt, or ends a series whose last attempt was lost. */
  async #claim(entry: DeliveryEntry): Promise<DeliveryEntry | null> {
    const rec = entry.value;
    if (rec.lease !== null && rec.attempts >= rec.webhook.retries + 1) {
      // The last allowed attempt was lost with its instance: end the series as failed.
      const lost = { status: null, error: "The last attempt was lost when its instance stopped" };
      await this.#record(entry, { ...lost, retryAfter: null }, false, 0);
      return null;
    }
    const leaseUntil = this.#now() + rec.webhook.timeoutMs + this.#leaseMarginMs;
    return await leaseDelivery(this.#deps, entry, leaseUntil);
  }

  async #attempt(leased: DeliveryEntry): Promise<void> {
    const rec = leased.value;
    const log = await readDeliveryLog(this.#deps.kv, rec.logId);
    if (!log) {
      // The entry is past retention: nothing left to deliver or to record the outcome in.
      const promoted = await dropDelivery(this.#deps, leased);
      if (promoted) this.wake(promoted);
      return;
    }
    const body = JSON.stringify(log.payload ?? null);
    const headers = attemptHeaders(rec);
    const { signingSecret: secret } = this.#deps.config;
    await applyDeliveryHeaders(headers, { log, body, secret, nowMs: this.#now() });
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
        transport: this.#transport,
      });
    } catch (err) {
      if (!(err instanceof AttemptAborted)) throw err;
      await releaseDelivery(this.#deps, leased);
      return;
    }
    await this.#record(leased, result, true, Math.round(performance.now() - started));
  }

  /**
   * Decides what an attempt came to (a retry after its backoff, or the end of the series) and
   * has it written; `durationMs` is the attempt's own time (request to response), as
   * receivers' latency is what it should show. A result the lease no longer covers is dropped.
   */
  async #record(
    leased: DeliveryEntry,
    result: AttemptResult,
    counted: boolean,
    durationMs: number,
  ): Promise<void> {
    const rec = leased.value;
    const success = isSuccess(result);
    const retry = counted && !success && isRetryable(result) &&
      rec.attempts < rec.webhook.retries + 1;
    const delayMs = retry
      ? nextDelay(result, rec.webhook.backoffMs, rec.attempts, this.#now(), this.#random)
      : 0;
    const written = await recordDelivery(this.#deps, leased, {
      delivery: {
        status: result.status,
        attempts: rec.attempts,
        durationMs,
        error: success ? null : result.error,
      },
      retry,
      delayMs,
      outcome: success ? "ok" : "failed",
      queues: this.#queues,
    });
    if (!written) return;
    // Overlap buffer_one: the delivery that waited behind this one is due now.
    if (written.promoted) this.wake(written.promoted);
    if (retry) this.#later(rec.logId, delayMs);
    else if (written.log) this.#settled(written.log);
  }

  #settled(log: StoredLog): void {
    const d = log.delivery;
    if (d && (log.outcome === "ok" || log.outcome === "failed")) {
      this.#deps.metrics.delivery(log.outcome, d.attempts, d.durationMs);
    }
    try {
      this.#onSettled?.(log);
    } catch (err) {
      console.error("webhook outbox: onSettled listener failed:", err);
    }
  }
}
