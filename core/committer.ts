/**
 * The shared group committer's contract: what every layer may call. `db/group_commit.ts`
 * implements it; core/ names it so that the dependencies (`Deps`) need nothing from db/.
 */

/** Adds one writer's checks and mutations to a shared atomic operation. */
export type WriteFn = (op: Deno.AtomicOperation) => void;

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

/** Shares commits between concurrent writers; each resolves with its own commit's result. */
export interface Committer {
  /** Commits `write` (about `valueBytes` of values) in the next shared commit. */
  submit(write: WriteFn, valueBytes: number): Promise<Deno.KvCommitResult | Deno.KvCommitError>;
  /** Writers waiting or in flight. */
  readonly pending: number;
  stats(): GroupCommitStats;
  /** Resolves once nothing is waiting or in flight. */
  idle(): Promise<void>;
}
