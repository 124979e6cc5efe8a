/**
 * The durable state of one firing's webhook delivery, stored under `["deliveries", logId]`
 * and indexed by when it is next due under `["deliveries_due", atMs, logId]`. Pure helpers.
 */
import type { StoredLog, Webhook } from "../core/schemas.ts";

export interface DeliveryRecord {
  logId: string;
  /** The firing's trigger; null for test firings. */
  triggerId: string | null;
  webhook: Webhook;
  idempotencyKey: string;
  /** `pending` until the series ends; `done` keeps the webhook for a later redelivery. */
  state: "pending" | "done";
  /** Attempts started in this series (an attempt lost with its instance counts too). */
  attempts: number;
  /** When the next attempt may start; while leased, when the lease expires. */
  dueAtMs: number;
  /** Set while an instance makes an attempt; only the holder records the attempt's result. */
  lease: string | null;
}

/** `<triggerId>:<scheduledFor ISO>`, or the log id for firings that were not scheduled. */
export function idempotencyKey(log: Pick<StoredLog, "id" | "triggerId" | "scheduledFor">) {
  return `${log.triggerId ?? "test"}:${log.scheduledFor ?? log.id}`;
}

/** A new attempt series for `log`, due at `nowMs`. */
export function newDelivery(log: StoredLog, webhook: Webhook, nowMs: number): DeliveryRecord {
  return {
    logId: log.id,
    triggerId: log.triggerId,
    webhook,
    idempotencyKey: idempotencyKey(log),
    state: "pending",
    attempts: 0,
    dueAtMs: nowMs,
    lease: null,
  };
}
