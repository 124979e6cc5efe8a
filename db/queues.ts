/**
 * KV queues, used only to wake webhook retries at their time. Whether a KV has queues is
 * decided here once: KV Connect URLs have none, and neither has Deno Deploy (the new Deploy
 * does not support KV queues), so there Tock never calls `enqueue` or `listenQueue`.
 */
import { z } from "zod";
import { isKvConnectUrl, onDenoDeploy } from "../core/config.ts";
import { keys } from "./keys.ts";

/** The queue message that wakes a delivery; parsed before it is trusted. */
export const WakeupMessage = z.object({ kind: z.literal("webhook.delivery"), logId: z.string() });
export type WakeupMessage = z.infer<typeof WakeupMessage>;

/** Redelivery of a wake-up message whose handler threw (KV trouble), per DESIGN.md. */
const QUEUE_BACKOFF = [1_000, 5_000, 30_000];

/** The environment variables that decide queue support. */
export type QueueEnv = { DENO_DEPLOYMENT_ID?: string };

/** The process environment's part that matters here; empty without env permission. */
export function processQueueEnv(): QueueEnv {
  try {
    const id = Deno.env.get("DENO_DEPLOYMENT_ID");
    return id === undefined ? {} : { DENO_DEPLOYMENT_ID: id };
  } catch {
    return {};
  }
}

/** Whether the KV at `kvPath` has queues: not a KV Connect URL, and not on Deno Deploy. */
export function kvHasQueues(kvPath: string, env: QueueEnv = processQueueEnv()): boolean {
  return !onDenoDeploy(env) && !isKvConnectUrl(kvPath);
}

/**
 * Adds to `op` a message that wakes delivery `logId` after `delayMs`; should the queue give up
 * on it, KV sets `deliveryUndelivered` (the due poll still covers the delivery).
 */
export function addWakeup(op: Deno.AtomicOperation, logId: string, delayMs: number): void {
  const msg: WakeupMessage = { kind: "webhook.delivery", logId };
  op.enqueue(msg, {
    delay: Math.max(0, Math.round(delayMs)),
    backoffSchedule: QUEUE_BACKOFF,
    keysIfUndelivered: [keys.deliveryUndelivered(logId)],
  });
}

/**
 * The one queue listener of a KV handle (KV allows one): routes wake-ups to `onWakeup`, logs
 * and drops anything else. Call only when `kvHasQueues` says so.
 */
export function listenForWakeups(kv: Deno.Kv, onWakeup: (logId: string) => void): Promise<void> {
  return kv.listenQueue((raw: unknown) => {
    const msg = WakeupMessage.safeParse(raw);
    if (msg.success) return onWakeup(msg.data.logId);
    console.error("dropped a queue message of unknown kind:", JSON.stringify(raw));
  });
}
