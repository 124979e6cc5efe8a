/**
 * The backfill runtime: every instance polls the (few) stored jobs, takes the lease of one no
 * instance holds, and fires its occurrences in order, paced at `--backfill-rate`, renewing the
 * lease and the cursor in the commit of each batch. A killed instance's job is taken over
 * when its lease lapses; the markers make a batch that was committed never fire again.
 */
import { newLogEntry } from "../core/log_entry.ts";
import type { Deps } from "../core/deps.ts";
import {
  type BackfillJob,
  commitBackfillBatch,
  firedInLog,
  listBackfillJobs,
  markedOccurrences,
  swapBackfillJob,
} from "../db/backfill.ts";
import { readTriggers } from "../db/due.ts";
import type { StoredLog, TriggerRecord } from "../core/schemas.ts";
import { backfillOccurrences } from "./backfill.ts";
import { setTimeout as delay } from "node:timers/promises";

/** How long a lease lasts without renewal; each batch (well under a second) renews it. */
const LEASE_MS = 5_000;
const iso = (ms: number) => new Date(ms).toISOString();

/** A runtime: `start()` begins polling for jobs, `stop()` ends it after the batch in flight. */
export class BackfillRunner {
  readonly #deps: Deps;
  readonly #owner = crypto.randomUUID();
  readonly #pollMs: number;
  #running = false;
  #loop: Promise<void> | null = null;

  constructor(deps: Deps, opts: { pollMs?: number } = {}) {
    this.#deps = deps;
    this.#pollMs = opts.pollMs ?? 1_000;
  }

  start(): void {
    this.#running = true;
    this.#loop = this.#run();
  }

  async stop(): Promise<void> {
    this.#running = false;
    await this.#loop;
  }

  async #run(): Promise<void> {
    while (this.#running) {
      try {
        const now = this.#deps.clock.now();
        for (const entry of await listBackfillJobs(this.#deps.kv)) {
          if (!this.#running) break;
          if (entry.value.owner !== this.#owner && entry.value.leaseUntilMs > now) continue;
          const leased = await swapBackfillJob(this.#deps.kv, entry, this.#leased(entry.value));
          if (leased) await this.#work(leased);
        }
      } catch (err) {
        console.error("backfill failed:", (err as Error).message);
      }
      await delay(this.#pollMs);
    }
  }

  #leased(job: BackfillJob): BackfillJob {
    return { ...job, owner: this.#owner, leaseUntilMs: this.#deps.clock.now() + LEASE_MS };
  }

  /** Fires the job's remaining occurrences while it holds the lease. */
  async #work(entry: Deno.KvEntry<BackfillJob>): Promise<void> {
    const { kv, config } = this.#deps;
    const job = entry.value;
    const [rec] = (await readTriggers(kv, [job.triggerId])).map((e) => e.value);
    if (!rec?.schedule) {
      // The trigger is gone (or lost its schedule): nothing left to fire.
      await swapBackfillJob(kv, entry, null);
      return;
    }
    const rest = backfillOccurrences(rec.schedule, job.cursorMs + 1, job.toMs);
    if (rest.length === 0) {
      await swapBackfillJob(kv, entry, null);
      return;
    }
    // Scheduled firings already in the log are skipped here; backfill ones by their markers.
    const inLog = await firedInLog(kv, rec.id, job.cursorMs + 1, job.toMs);
    const batchSize = Math.max(1, Math.min(50, Math.ceil(config.backfillRate / 10)));
    let cur: Deno.KvEntry<BackfillJob> | null = entry;
    for (let i = 0; i < rest.length && cur && this.#running;) {
      const started = Date.now();
      const chunk = rest.slice(i, i + batchSize);
      const marked = await markedOccurrences(kv, rec.id, chunk);
      const due = chunk.filter((t) => !inLog.has(t) && !marked.has(t));
      const last = i + batchSize >= rest.length;
      const next: BackfillJob | null = last
        ? null
        : { ...this.#leased(cur.value), cursorMs: chunk[chunk.length - 1] };
      const logs = due.map((t) => this.#firing(rec, t));
      const res = await commitBackfillBatch(kv, cur, next, rec, logs, config);
      if (!res.ok) {
        // The lease moved (another instance took over) or a concurrent job marked one of these
        // occurrences: stop here. The next poll re-leases the job if it is still ours and
        // re-reads the markers.
        return;
      }
      this.#deps.bus.publish(logs);
      cur = next ? { key: cur.key, value: next, versionstamp: res.versionstamp } : null;
      i += batchSize;
      const waitMs = (due.length * 1000) / config.backfillRate - (Date.now() - started);
      if (waitMs > 0) await delay(waitMs);
    }
  }

  #firing(rec: TriggerRecord, occurrenceMs: number): StoredLog {
    const now = this.#deps.clock.now();
    return newLogEntry(rec, now, { source: "backfill", scheduledFor: iso(occurrenceMs) });
  }
}
