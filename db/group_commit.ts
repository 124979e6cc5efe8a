/**
 * Group commit: concurrent writers share one atomic commit, so many on-demand firings cost one
 * KV commit instead of one each. KV does no group commit of its own, and every commit has a
 * fixed cost (a transaction, a versionstamp, a sync; ~0.3-0.4 ms on a local file here) that
 * sharing spreads over many firings.
 *
 * There is no fixed delay. When idle, what is pending is committed at once (after the current
 * microtasks, so writers of the same tick join). Two commits may be in flight: one on KV's
 * SQLite thread while the next is built and handed over, so the JavaScript thread and KV's
 * thread work at once instead of in turn. While both are out, new writes queue and go out
 * together when one returns ("natural batching"): the busier it is, the larger the batches.
 * Every writer's promise settles only with its own commit's result.
 */
import type { Committer, GroupCommitStats, WriteFn } from "../core/committer.ts";
import { retryLocked } from "./kv.ts";
import { buildMerged, type Rec, Recorder } from "./group_commit_ops.ts";

export { keySize } from "./group_commit_ops.ts";

/** Adds one writer's mutations (and checks) to a commit it may share with others. */

export interface GroupCommitOptions {
  /** Most writers in one commit. */
  maxMembers?: number;
  /** Most mutations in one commit (KV allows 1000). */
  maxMutations?: number;
  /** Most checks in one commit (KV allows 100). */
  maxChecks?: number;
  /** Estimated bytes of keys and values in one commit (KV allows 800 KiB). */
  maxBytes?: number;
  /** Bytes of keys in one commit (KV allows 80 KiB). */
  maxKeyBytes?: number;
  /** Shared commits in flight at once; what arrives meanwhile waits for the next. */
  maxInFlight?: number;
}

/** Counters for benchmarks and metrics. */

interface Member {
  recs: Rec[];
  /** Keys this writer checks; null when it checks none. */
  checkIds: string[] | null;
  /** Each check as key and expected versionstamp: equal checks of several writers count once. */
  checkPairs: string[] | null;
  /** Keys this writer mutates. */
  writeIds: string[];
  mutations: number;
  checks: number;
  bytes: number;
  keyBytes: number;
  resolve: (res: Deno.KvCommitResult | Deno.KvCommitError) => void;
  reject: (err: unknown) => void;
}

const DEFAULTS: Required<GroupCommitOptions> = {
  maxMembers: 120,
  maxMutations: 900,
  maxChecks: 90,
  maxBytes: 512 * 1024,
  maxKeyBytes: 64 * 1024,
  // 2, not 1: with one, 50 clients all waited on the same commit and the JavaScript thread sat
  // idle while KV's thread worked (41-47% idle creating triggers). Interleaved, 5 rounds each:
  // creates 4,479 -> 5,004/s (median, every round higher), on-demand fires unchanged.
  maxInFlight: 2,
};

function addKeys(m: Member, checked: Set<string>, written: Set<string>): void {
  for (const id of m.checkIds ?? []) checked.add(id);
  for (const id of m.writeIds) written.add(id);
}

/**
 * Whether `m` may not share a commit with writers that checked and wrote these keys: it checks
 * a key one of them writes, or writes a key one of them checks. Checks alone on a shared key
 * (firings checking their trigger's definition key, which no firing writes) do not conflict.
 */
function conflicts(m: Member, checked: Set<string>, written: Set<string>): boolean {
  if (m.checkIds?.some((id) => written.has(id))) return true;
  return checked.size > 0 && m.writeIds.some((id) => checked.has(id));
}

/**
 * Collects writes from concurrent callers and commits them in shared atomic operations, bounded
 * in writers, mutations, checks and bytes. "database is locked" is retried. If a shared commit
 * throws (a value too large, say) or one writer's check fails, the batch is split in halves
 * until each failing writer is alone, so one bad write fails only its own caller.
 *
 * @example
 * const committer = new GroupCommitter(kv);
 * const res = await committer.submit((op) => op.set(["logs", id], log), 600);
 */
export class GroupCommitter implements Committer {
  readonly #kv: Deno.Kv;
  readonly #opts: Required<GroupCommitOptions>;
  #queue: Member[] = [];
  #inFlight = 0;
  #scheduled = false;
  #idle: PromiseWithResolvers<void> | null = null;
  readonly #stats: GroupCommitStats = {
    commits: 0,
    committed: 0,
    failed: 0,
    splits: 0,
    largestBatch: 0,
  };

  constructor(kv: Deno.Kv, opts: GroupCommitOptions = {}) {
    this.#kv = kv;
    this.#opts = { ...DEFAULTS, ...opts };
  }

  /**
   * Queues `write` (which adds this caller's mutations to an operation) for the next shared
   * commit. `valueBytes` estimates the size of the values it writes. Resolves with that
   * commit's result once it is durable; a failed check of this write resolves `{ ok: false }`;
   * an error of this write (and only of this write) rejects.
   */
  submit(write: WriteFn, valueBytes: number): Promise<Deno.KvCommitResult | Deno.KvCommitError> {
    const rec = new Recorder();
    write(rec as unknown as Deno.AtomicOperation);
    const { promise, resolve, reject } = Promise.withResolvers<
      Deno.KvCommitResult | Deno.KvCommitError
    >();
    const checked = rec.checks > 0;
    this.#queue.push({
      recs: rec.recs,
      checkIds: checked ? rec.checkIds : null,
      checkPairs: checked ? rec.checkPairs : null,
      writeIds: rec.writeIds,
      mutations: rec.mutations,
      checks: rec.checks,
      bytes: valueBytes + rec.keyBytes,
      keyBytes: rec.keyBytes,
      resolve,
      reject,
    });
    this.#schedule();
    return promise;
  }

  /** Writes waiting for a commit (not counting the one in flight). */
  get pending(): number {
    return this.#queue.length;
  }

  stats(): GroupCommitStats {
    return { ...this.#stats };
  }

  /** Resolves once nothing is queued or in flight. */
  idle(): Promise<void> {
    if (this.#inFlight === 0 && this.pending === 0 && !this.#scheduled) return Promise.resolve();
    this.#idle ??= Promise.withResolvers<void>();
    return this.#idle.promise;
  }

  #schedule(): void {
    if (this.#scheduled || this.#inFlight >= this.#opts.maxInFlight) return;
    this.#scheduled = true;
    // Not a timer: only lets writers submitted in the same tick join this commit.
    queueMicrotask(() => {
      this.#scheduled = false;
      this.#launch();
    });
  }

  #launch(): void {
    while (this.pending > 0 && this.#inFlight < this.#opts.maxInFlight) {
      const batch = this.#take();
      this.#inFlight++;
      void this.#commit(batch, true).finally(() => {
        this.#inFlight--;
        // What queued meanwhile goes out now, as one batch: no waiting, no fixed delay.
        if (this.pending > 0) this.#launch();
        else if (this.#inFlight === 0 && this.#idle) {
          this.#idle.resolve();
          this.#idle = null;
        }
      });
    }
  }

  /**
   * The next batch from the queue's head, within every bound (a lone oversize write goes
   * alone). Checks in one commit are all evaluated against the state before it, so a writer
   * who checks a key another member writes (or writes a key another member checks) would pass
   * a check that its neighbour invalidates: it waits for a later batch instead. Two creates of
   * one name both check and write the name key, so they never share. Writers that only check
   * the same key (at the same versionstamp or not) may share: neither changes what the other
   * checks, and a failed check splits the batch as any failure does.
   */
  #take(): Member[] {
    const o = this.#opts;
    let mutations = 0, bytes = 0, keyBytes = 0;
    let end = 0;
    /** Keys checked and written by the batch so far; built only once a check is involved. */
    let checked: Set<string> | null = null;
    let written: Set<string> | null = null;
    /** Distinct checks so far (equal checks of several writers go in once: buildMerged). */
    const pairs = new Set<string>();
    while (end < this.#queue.length && end < o.maxMembers) {
      const m = this.#queue[end];
      let newChecks = 0;
      for (const p of m.checkPairs ?? []) if (!pairs.has(p)) newChecks++;
      if (
        end > 0 && (
          mutations + m.mutations > o.maxMutations || pairs.size + newChecks > o.maxChecks ||
          bytes + m.bytes > o.maxBytes || keyBytes + m.keyBytes > o.maxKeyBytes
        )
      ) break;
      if (m.checkIds !== null && checked === null) {
        checked = new Set();
        written = new Set();
        for (const prev of this.#queue.slice(0, end)) addKeys(prev, checked, written);
      }
      if (checked !== null && written !== null) {
        if (end > 0 && conflicts(m, checked, written)) break;
        addKeys(m, checked, written);
      }
      for (const p of m.checkPairs ?? []) pairs.add(p);
      mutations += m.mutations;
      bytes += m.bytes;
      keyBytes += m.keyBytes;
      end++;
    }
    return this.#queue.splice(0, end);
  }

  async #commit(batch: Member[], top: boolean): Promise<void> {
    if (top && batch.length > this.#stats.largestBatch) this.#stats.largestBatch = batch.length;
    let result: Deno.KvCommitResult | Deno.KvCommitError | null = null;
    let error: unknown = null;
    try {
      result = await retryLocked(() => {
        this.#stats.commits++;
        const op = this.#kv.atomic();
        buildMerged(op, batch.map((m) => m.recs));
        return op.commit();
      });
    } catch (err) {
      error = err;
    }
    if (result?.ok || batch.length === 1) {
      for (const m of batch) {
        if (result) {
          if (result.ok) this.#stats.committed++;
          else this.#stats.failed++;
          m.resolve(result);
        } else {
          this.#stats.failed++;
          m.reject(error);
        }
      }
      return;
    }
    // The shared commit failed: split it until each failing writer is on its own.
    this.#stats.splits++;
    const mid = batch.length >> 1;
    await this.#commit(batch.slice(0, mid), false);
    await this.#commit(batch.slice(mid), false);
  }
}

export type { GroupCommitStats, WriteFn };
