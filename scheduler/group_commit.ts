/**
 * Group commit: concurrent writers share one atomic commit, so many on-demand firings cost one
 * KV commit instead of one each. KV does no group commit of its own, and every commit has a
 * fixed cost (a transaction, a versionstamp, a sync; ~0.3-0.4 ms on a local file here) that
 * sharing spreads over many firings.
 *
 * There is no fixed delay. When idle, what is pending is committed at once (after the current
 * microtasks, so writers of the same tick join). While a commit is in flight, new writes queue
 * and go out together as the next commit when it returns ("natural batching"): the busier it
 * is, the larger the batches. Every writer's promise settles only with its own commit's result.
 */
import { retryLocked } from "../db/kv.ts";

/** Adds one writer's mutations (and checks) to a commit it may share with others. */
export type WriteFn = (op: Deno.AtomicOperation) => void;

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
export interface GroupCommitStats {
  /** Commits attempted, fallback commits included. */
  commits: number;
  /** Writes that committed. */
  committed: number;
  /** Writes that failed (their own error or a failed check). */
  failed: number;
  /** Batches that failed as a whole and were split to isolate the failing writes. */
  splits: number;
  largestBatch: number;
}

/** One recorded call on an operation. */
type Rec =
  | { kind: "set"; key: Deno.KvKey; value: unknown; options?: { expireIn?: number } }
  | { kind: "delete"; key: Deno.KvKey }
  | { kind: "sum" | "min" | "max"; key: Deno.KvKey; n: bigint }
  | { kind: "check"; checks: Deno.AtomicCheck[] }
  | { kind: "mutate"; mutations: Deno.KvMutation[] }
  | {
    kind: "enqueue";
    value: unknown;
    options?: { delay?: number; keysIfUndelivered?: Deno.KvKey[]; backoffSchedule?: number[] };
  };

interface Member {
  recs: Rec[];
  /** Keys this writer checks; null when it checks none (the common case: plain firings). */
  checkIds: string[] | null;
  /** Keys this writer mutates, computed only when a batch holds checks. */
  writeIds?: string[];
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
  maxInFlight: 1,
};

const NON_ASCII = /[^ -~]/; // anything outside printable ASCII may take more bytes
const encoder = new TextEncoder();
const U64 = (1n << 64n) - 1n;

/** Upper bound of a key's encoded size (tuple encoding adds a byte or two per part). */
export function keySize(key: Deno.KvKey): number {
  let n = 0;
  for (const part of key) {
    if (typeof part === "string") {
      n += 2 + (NON_ASCII.test(part) ? encoder.encode(part).length : part.length);
    } else if (part instanceof Uint8Array) n += 2 + part.length;
    else n += 10; // number, bigint, boolean
  }
  return n;
}

/** A string that is equal for equal keys and different for different ones. */
function keyId(key: Deno.KvKey): string {
  for (const part of key) if (typeof part !== "string") return taggedKeyId(key);
  return JSON.stringify(key); // the common case, and native: starts with "["
}

function taggedKeyId(key: Deno.KvKey): string {
  let id = "\u0000";
  for (const part of key) {
    if (typeof part === "string") id += `s${JSON.stringify(part)}\u0000`;
    else if (part instanceof Uint8Array) id += `u${part.join(",")}\u0000`;
    else id += `${(typeof part)[0]}${String(part)}\u0000`;
  }
  return id;
}

/**
 * Records what a writer adds, so its size is known before it joins a batch and its calls
 * can be replayed into whichever commit carries it.
 */
class Recorder {
  recs: Rec[] = [];
  mutations = 0;
  checks = 0;
  keyBytes = 0;

  check(...checks: Deno.AtomicCheck[]): this {
    for (const c of checks) this.keyBytes += keySize(c.key);
    this.checks += checks.length;
    this.recs.push({ kind: "check", checks });
    return this;
  }
  mutate(...mutations: Deno.KvMutation[]): this {
    for (const m of mutations) this.keyBytes += keySize(m.key);
    this.mutations += mutations.length;
    this.recs.push({ kind: "mutate", mutations });
    return this;
  }
  sum(key: Deno.KvKey, n: bigint): this {
    return this.#keyed({ kind: "sum", key, n });
  }
  min(key: Deno.KvKey, n: bigint): this {
    return this.#keyed({ kind: "min", key, n });
  }
  max(key: Deno.KvKey, n: bigint): this {
    return this.#keyed({ kind: "max", key, n });
  }
  set(key: Deno.KvKey, value: unknown, options?: { expireIn?: number }): this {
    return this.#keyed({ kind: "set", key, value, options });
  }
  delete(key: Deno.KvKey): this {
    return this.#keyed({ kind: "delete", key });
  }
  enqueue(
    value: unknown,
    options?: { delay?: number; keysIfUndelivered?: Deno.KvKey[]; backoffSchedule?: number[] },
  ): this {
    for (const k of options?.keysIfUndelivered ?? []) this.keyBytes += keySize(k);
    this.mutations++;
    this.recs.push({ kind: "enqueue", value, options });
    return this;
  }
  commit(): never {
    throw new Error("A grouped write is committed by its GroupCommitter, not by itself");
  }
  #keyed(r: Rec & { key: Deno.KvKey }): this {
    this.keyBytes += keySize(r.key);
    this.mutations++;
    this.recs.push(r);
    return this;
  }
}

function apply(op: Deno.AtomicOperation, r: Rec): void {
  switch (r.kind) {
    case "set":
      op.set(r.key, r.value, r.options);
      break;
    case "delete":
      op.delete(r.key);
      break;
    case "sum":
      op.sum(r.key, r.n);
      break;
    case "min":
      op.min(r.key, r.n);
      break;
    case "max":
      op.max(r.key, r.n);
      break;
    case "check":
      op.check(...r.checks);
      break;
    case "mutate":
      op.mutate(...r.mutations);
      break;
    case "enqueue":
      op.enqueue(r.value, r.options);
      break;
  }
}

/**
 * Builds one operation from several writers' calls, merging what lands on the same key: the
 * sums of a key become one sum, its maxima one max, its minima one min, and of several sets of
 * a key only the last is kept. A key touched in more than one way keeps every call, in order.
 * The committed state is the same (a commit is applied as a whole); KV just does less work,
 * which matters because many firings of one trigger all bump that trigger's counters.
 */
function buildMerged(op: Deno.AtomicOperation, recLists: Rec[][]): void {
  if (recLists.length === 1) {
    for (const r of recLists[0]) apply(op, r);
    return;
  }
  /** Per key: the merged call, or null once the key is touched in mixed ways. */
  const merged = new Map<string, Rec | null>();
  let asRecorded = false;
  for (const list of recLists) {
    for (const r of list) {
      if (r.kind === "check" || r.kind === "enqueue" || r.kind === "mutate") {
        if (r.kind === "mutate") { for (const m of r.mutations) merged.set(keyId(m.key), null); }
        asRecorded = true;
        continue;
      }
      const id = keyId(r.key);
      const prev = merged.get(id);
      if (prev === undefined) {
        merged.set(id, r.kind === "sum" || r.kind === "min" || r.kind === "max" ? { ...r } : r);
      } else if (prev === null || prev.kind !== r.kind || r.kind === "delete") {
        merged.set(id, null);
        asRecorded = true;
      } else if (r.kind === "set") {
        merged.set(id, r);
      } else {
        const p = prev as { n: bigint };
        if (r.kind === "sum") p.n = (p.n + r.n) & U64;
        else if (r.kind === "max") p.n = r.n > p.n ? r.n : p.n;
        else p.n = r.n < p.n ? r.n : p.n;
      }
    }
  }
  for (const r of merged.values()) if (r !== null) apply(op, r);
  if (!asRecorded) return;
  // Checks, enqueues, raw mutations and keys touched in mixed ways go in as recorded, in order.
  for (const list of recLists) {
    for (const r of list) {
      if (r.kind === "check" || r.kind === "enqueue" || r.kind === "mutate") apply(op, r);
      else if (merged.get(keyId(r.key)) === null) apply(op, r);
    }
  }
}

function writeIdsOf(m: Member): string[] {
  m.writeIds ??= m.recs.flatMap((r) =>
    r.kind === "check" || r.kind === "enqueue"
      ? []
      : r.kind === "mutate"
      ? r.mutations.map((x) => keyId(x.key))
      : [keyId(r.key)]
  );
  return m.writeIds;
}

function addKeys(m: Member, checked: Set<string>, written: Set<string>): void {
  for (const id of m.checkIds ?? []) checked.add(id);
  for (const id of writeIdsOf(m)) written.add(id);
}

function conflicts(m: Member, checked: Set<string>, written: Set<string>): boolean {
  if (m.checkIds?.some((id) => checked.has(id) || written.has(id))) return true;
  return checked.size > 0 && writeIdsOf(m).some((id) => checked.has(id));
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
export class GroupCommitter {
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
    const checkIds = rec.checks === 0
      ? null
      : rec.recs.flatMap((r) => r.kind === "check" ? r.checks.map((c) => keyId(c.key)) : []);
    this.#queue.push({
      recs: rec.recs,
      checkIds,
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
   * whose checks touch a key another member checks or writes (or who writes a key another
   * member checks) would pass a check that its neighbour invalidates: it waits for a later
   * batch instead.
   */
  #take(): Member[] {
    const o = this.#opts;
    let mutations = 0, checks = 0, bytes = 0, keyBytes = 0;
    let end = 0;
    /** Keys checked and written by the batch so far; built only once a check is involved. */
    let checked: Set<string> | null = null;
    let written: Set<string> | null = null;
    while (end < this.#queue.length && end < o.maxMembers) {
      const m = this.#queue[end];
      if (
        end > 0 && (
          mutations + m.mutations > o.maxMutations || checks + m.checks > o.maxChecks ||
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
      mutations += m.mutations;
      checks += m.checks;
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
