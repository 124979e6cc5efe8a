/** For `/healthz` and `/metrics`: a storage write probe and cheap capped counts. */
import type { TriggerRecord } from "../core/schemas.ts";
import { keys } from "./keys.ts";

/** The outcome of one storage probe, shared by the health requests that arrive meanwhile. */
export interface ProbeResult {
  ok: boolean;
  /** Why storage is unusable (null when ok). */
  error: string | null;
  latencyMs: number;
}

export interface WriteProbeOptions {
  /** Longest wait for the probe write before storage counts as failing. */
  timeoutMs?: number;
  /** A result is reused this long, so health checks cost at most one write per interval. */
  minIntervalMs?: number;
}

/**
 * Probes storage with a small real write (`["health", instanceId]`, expiring by itself): a
 * read keeps working while every write fails (disk full, file locked by another process), so
 * only a write tells. At most one write per `minIntervalMs`; concurrent callers share the one in
 * flight; a write that hangs is not repeated while it hangs (repeats would pile up behind it).
 */
export class WriteProbe {
  readonly #kv: Deno.Kv;
  readonly #key: Deno.KvKey = keys.health(crypto.randomUUID());
  readonly #timeoutMs: number;
  readonly #minIntervalMs: number;
  #last: { at: number; result: ProbeResult } | null = null;
  #running: Promise<ProbeResult> | null = null;
  /** The write KV has not finished yet, and since when (it may outlive its probe). */
  #pendingWrite: { since: number } | null = null;

  constructor(kv: Deno.Kv, opts: WriteProbeOptions = {}) {
    this.#kv = kv;
    this.#timeoutMs = opts.timeoutMs ?? 2000;
    this.#minIntervalMs = opts.minIntervalMs ?? 1000;
  }

  /** The latest result, probing again when it is older than the interval. */
  check(): Promise<ProbeResult> {
    if (this.#last && performance.now() - this.#last.at < this.#minIntervalMs) {
      return Promise.resolve(this.#last.result);
    }
    this.#running ??= this.#probe().then((result) => {
      this.#last = { at: performance.now(), result };
      this.#running = null;
      return result;
    });
    return this.#running;
  }

  async #probe(): Promise<ProbeResult> {
    const started = performance.now();
    const done = (error: string | null): ProbeResult => ({
      ok: error === null,
      error,
      latencyMs: Math.round((performance.now() - started) * 100) / 100,
    });
    if (this.#pendingWrite) {
      const s = Math.round((started - this.#pendingWrite.since) / 1000);
      return done(`A KV write has not completed for ${s} s`);
    }
    const pending = { since: started };
    this.#pendingWrite = pending;
    const write = this.#kv.set(this.#key, { at: Date.now() }, { expireIn: 60_000 })
      .then(() => null, (err: unknown) => `KV write failed: ${(err as Error)?.message ?? err}`)
      .finally(() => {
        if (this.#pendingWrite === pending) this.#pendingWrite = null;
      });
    let timer: ReturnType<typeof setTimeout> | undefined;
    const timeout = new Promise<string>((resolve) => {
      timer = setTimeout(
        () => resolve(`KV write did not complete in ${this.#timeoutMs / 1000} s`),
        this.#timeoutMs,
      );
    });
    try {
      return done(await Promise.race([write, timeout]));
    } finally {
      clearTimeout(timer);
    }
  }
}

/** Triggers per status, reading at most `max` records (KV has no keys-only listing). */
export async function countTriggersByStatus(
  kv: Deno.Kv,
  max: number,
): Promise<Record<TriggerRecord["status"], number>> {
  const byStatus: Record<TriggerRecord["status"], number> = { active: 0, paused: 0, completed: 0 };
  const iter = kv.list<TriggerRecord>({ prefix: keys.triggersPrefix() }, {
    limit: max,
    batchSize: 500,
  });
  for await (const e of iter) byStatus[e.value.status] = (byStatus[e.value.status] ?? 0) + 1;
  return byStatus;
}

/** Occurrences due before `beforeMs` and not yet claimed, counted up to `max`. */
export async function countOverdue(kv: Deno.Kv, beforeMs: number, max: number): Promise<number> {
  let n = 0;
  const iter = kv.list({ start: keys.duePrefix(), end: [...keys.duePrefix(), beforeMs] }, {
    limit: max,
  });
  for await (const _ of iter) n++;
  return n;
}
