/**
 * A small pool of validator Workers with a deadline per validation: the event loop never runs
 * a validation, and a caller waits at most the deadline. A validation past it answers
 * `timeout` and its worker is terminated and replaced. Deno 2.9 does not interrupt a busy
 * worker on terminate, so the validator also stops itself at the same budget (payload_ajv.ts).
 * Workers start on first use: processes and tests that never validate never start one.
 */
import type { FieldError } from "./errors.ts";

/** One validation, as sent to a worker: the schema and the payload as JSON text. */
export interface ValidatorJob {
  id: number;
  schema: string;
  payload: string;
  /** The worker stops the validation itself after this long (see payload_ajv.ts). */
  budgetMs: number;
}

/** A worker's answer: valid, invalid with (capped) errors, or a problem evaluating. */
export type ValidatorReply =
  | { id: number; ok: true }
  | { id: number; ok: false; total: number; errors: FieldError[] }
  | { id: number; ok: false; problem: string }
  | { id: number; ok: false; expensive: true };

/** What a validation came to; `timeout` when it ran past the deadline. */
export type ValidationOutcome = ValidatorReply | { timeout: true } | { closed: true };

interface Pending {
  job: ValidatorJob;
  resolve: (r: ValidationOutcome) => void;
}

interface Slot {
  worker: Worker;
  ready: boolean;
  busy: Pending | null;
  timer?: ReturnType<typeof setTimeout>;
}

const WORKER_URL = new URL("./payload_validator_worker.ts", import.meta.url);

export interface PoolOptions {
  /** Workers running validations at once; default 2. */
  size?: number;
  /** Deadline of one validation in its worker, in ms; default 250. */
  timeoutMs?: number;
  /** Validations waiting for a worker before new ones are refused; default 1,000. */
  maxQueue?: number;
}

export class ValidatorPool {
  readonly size: number;
  readonly timeoutMs: number;
  /** How long a caller waits for a worker at most: compiling plus the validation's budget. */
  readonly outerDeadlineMs: number;
  readonly maxQueue: number;
  #slots: Slot[] = [];
  #queue: Pending[] = [];
  #nextId = 1;
  #closed = false;

  constructor(opts: PoolOptions = {}) {
    this.size = opts.size ?? 2;
    this.timeoutMs = opts.timeoutMs ?? 250;
    this.outerDeadlineMs = Math.max(2_000, 8 * this.timeoutMs);
    this.maxQueue = opts.maxQueue ?? 1_000;
  }

  /** Validates `payload` (JSON text) against `schema` (JSON text) in a worker. */
  run(schema: string, payload: string): Promise<ValidationOutcome> {
    if (this.#closed) return Promise.resolve({ closed: true });
    if (this.#queue.length >= this.maxQueue) return Promise.resolve({ timeout: true });
    while (this.#slots.length < this.size) this.#slots.push(this.#spawn());
    const { promise, resolve } = Promise.withResolvers<ValidationOutcome>();
    this.#queue.push({
      job: { id: this.#nextId++, schema, payload, budgetMs: this.timeoutMs },
      resolve,
    });
    this.#pump();
    return promise;
  }

  /** Terminates every worker; waiting and running validations answer `closed`. */
  close(): void {
    this.#closed = true;
    for (const slot of this.#slots) {
      clearTimeout(slot.timer);
      slot.worker.terminate();
      slot.busy?.resolve({ closed: true });
    }
    this.#slots = [];
    for (const p of this.#queue.splice(0)) p.resolve({ closed: true });
  }

  #spawn(): Slot {
    const worker = new Worker(WORKER_URL, { type: "module" });
    const slot: Slot = { worker, ready: false, busy: null };
    worker.onmessage = (e: MessageEvent<ValidatorReply | { ready: true }>) => {
      if ("ready" in e.data) {
        slot.ready = true;
      } else if (slot.busy && slot.busy.job.id === e.data.id) {
        clearTimeout(slot.timer);
        slot.busy.resolve(e.data);
        slot.busy = null;
      }
      this.#pump();
    };
    worker.onerror = (e) => {
      // An uncaught error in the worker (out of memory, a crash while loading) must not
      // reach the main thread: answer the job as a problem and start over with a new worker.
      e.preventDefault();
      const problem = e.message ?? "The validator failed";
      const busy = slot.busy;
      if (!slot.ready) {
        // It never loaded: respawning would loop; fail what waits, the next run tries again.
        slot.worker.terminate();
        this.#slots = this.#slots.filter((s) => s !== slot);
        for (const p of this.#queue.splice(0)) p.resolve({ id: p.job.id, ok: false, problem });
        return;
      }
      this.#replace(slot);
      busy?.resolve({ id: busy.job.id, ok: false, problem });
    };
    return slot;
  }

  /** Hands queued jobs to ready, idle workers; each run gets its own deadline. */
  #pump(): void {
    for (const slot of this.#slots) {
      if (this.#queue.length === 0) return;
      if (!slot.ready || slot.busy) continue;
      const next = this.#queue.shift()!;
      slot.busy = next;
      // The validator stops itself once its budget is spent; this outer deadline catches a
      // worker that cannot answer at all, with room for compiling the schema first.
      slot.timer = setTimeout(() => {
        if (slot.busy !== next) return;
        this.#replace(slot);
        next.resolve({ timeout: true });
      }, this.outerDeadlineMs);
      slot.worker.postMessage(next.job);
    }
  }

  /** Terminates `slot`'s worker and puts a fresh one in its place. */
  #replace(slot: Slot): void {
    clearTimeout(slot.timer);
    slot.worker.terminate();
    slot.busy = null;
    const i = this.#slots.indexOf(slot);
    if (i < 0 || this.#closed) return;
    this.#slots[i] = this.#spawn();
  }
}
