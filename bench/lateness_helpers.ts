/**
 * What bench/scheduler_lateness.ts's scenarios share: percentiles, reading the stored log
 * entries back, the exactly-once count, temporary KV files, the spread's delays and stored
 * records, and the two baselines (plain `setTimeout`, `kv.enqueue` + `listenQueue`).
 */
import { record } from "./stored_records.ts";
import { insertTriggersBatch } from "../db/triggers.ts";
import { keys } from "../db/keys.ts";
import type { StoredLog } from "../core/schemas.ts";
import type { RunningServer } from "../tests/helpers/server.ts";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export interface Stats {
  n: number;
  p50: number;
  p99: number;
  max: number;
  mean: number;
}
export function stats(xs: number[]): Stats {
  const s = [...xs].sort((a, b) => a - b);
  const q = (p: number) => s.length ? s[Math.min(s.length - 1, Math.ceil(p * s.length) - 1)] : NaN;
  const mean = s.reduce((a, b) => a + b, 0) / (s.length || 1);
  return { n: s.length, p50: q(0.5), p99: q(0.99), max: s[s.length - 1] ?? NaN, mean };
}

export async function readLogs(kv: Deno.Kv, prefix: string): Promise<StoredLog[]> {
  const out: StoredLog[] = [];
  for await (const e of kv.list<StoredLog>({ prefix: keys.logsPrefix() }, { batchSize: 1000 })) {
    if (e.value.triggerName.startsWith(prefix)) out.push(e.value);
  }
  return out;
}

export async function firedTotal(srv: RunningServer): Promise<number> {
  const res = await fetch(`${srv.url}/healthz`);
  const body = await res.json();
  return body.scheduler?.firedTotal ?? 0;
}

/** Problems the server printed: a locked database must never surface, nor a failed claim. */
export function serverTrouble(out: string): string[] {
  return out.split("\n").filter((l) => /database is locked|failed|error/i.test(l));
}

/** Per-trigger firing counts: exactly once means every trigger has one log entry. */
export function onceCheck(logs: StoredLog[], ids: Set<string>) {
  const counts = new Map<string, number>();
  for (const l of logs) counts.set(l.triggerId!, (counts.get(l.triggerId!) ?? 0) + 1);
  let dup = 0, missing = 0;
  for (const id of ids) {
    const c = counts.get(id) ?? 0;
    if (c === 0) missing++;
    if (c > 1) dup += c - 1;
  }
  return { fired: logs.length, duplicates: dup, missing };
}

export async function tempKv(): Promise<string> {
  return (await Deno.makeTempDir({ prefix: "tock-bench-" })) + "/tock.kv";
}

// Delays spread evenly at random over [2 s, 10 s) from a common base.
export function spreadDelays(n: number): number[] {
  return Array.from({ length: n }, () => 2000 + Math.floor(Math.random() * 8000));
}

/** Plain `setTimeout` for delays of `spreadDelays(n)`: the floor of any timer in this runtime. */
export async function baselineTimeout(n: number): Promise<Stats> {
  const base = Date.now();
  const late: number[] = [];
  await Promise.all(
    spreadDelays(n).map((d) =>
      new Promise<void>((resolve) => {
        setTimeout(() => {
          late.push(Date.now() - (base + d));
          resolve();
        }, base + d - Date.now());
      })
    ),
  );
  return stats(late);
}

/** `kv.enqueue({ delay })` + `listenQueue` for the same delays, on a fresh KV file. */
export async function baselineEnqueue(
  n: number,
): Promise<Stats & { delivered: number; duplicates: number }> {
  const path = await tempKv();
  const kv = await Deno.openKv(path);
  const late: number[] = [];
  const done = Promise.withResolvers<void>();
  const seen = new Set<number>();
  let dups = 0;
  kv.listenQueue((msg: { i: number; due: number }) => {
    late.push(Date.now() - msg.due);
    if (seen.has(msg.i)) dups++;
    seen.add(msg.i);
    if (seen.size === n) done.resolve();
  });
  const delays = spreadDelays(n);
  const base = Date.now() + 1000; // enqueueing 2,000 messages takes a moment
  for (let i = 0; i < n; i++) {
    const due = base + delays[i];
    await kv.enqueue({ i, due }, { delay: due - Date.now() });
  }
  await Promise.race([done.promise, sleep(30_000)]);
  kv.close();
  return { ...stats(late), delivered: seen.size, duplicates: dups };
}

/**
 * `count` one-time triggers due a month and more ahead, written before the server starts: a
 * store that size, none of it within the scheduler's horizon.
 */
export async function storeFarAhead(kvPath: string, count: number): Promise<void> {
  if (count === 0) return;
  const kv = await Deno.openKv(kvPath);
  try {
    const now = Date.now();
    const month = now + 30 * 86_400_000;
    for (let i = 0; i < count; i += 4_000) {
      const recs = Array.from(
        { length: Math.min(4_000, count - i) },
        (_, j) =>
          record(`stored-${i + j}`, { at: new Date(month + (i + j) * 1000).toISOString() }, now),
      );
      await insertTriggersBatch(kv, recs);
    }
  } finally {
    kv.close();
  }
}
