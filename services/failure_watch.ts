/**
 * Watches outcomes for the operator (issue 17): alerts on final delivery failures and on
 * missed-run records, and pauses a trigger whose `webhook.pauseAfterFailures` consecutive
 * final deliveries failed. The instance that recorded the outcome (or claimed the missed
 * record) is the one that sees it, so each alert is sent once.
 */
import type { Deps } from "../core/deps.ts";
import { failureCount, resetFailureCount } from "../db/failures.ts";
import type { StoredLog } from "../core/schemas.ts";
import type { AlertSink } from "../core/alerts.ts";
import { autoPauseTrigger, getTrigger } from "./triggers.ts";

/** A runtime: `start()` subscribes to missed-run records; `settled` takes delivery outcomes. */
export class FailureWatch {
  readonly #deps: Deps;
  readonly #alerts: AlertSink;
  #unsubscribe: (() => void) | null = null;
  #pending = new Set<Promise<void>>();

  constructor(deps: Deps, alerts: AlertSink) {
    this.#deps = deps;
    this.#alerts = alerts;
  }

  start(): void {
    this.#unsubscribe = this.#deps.bus.subscribe((logs) => {
      for (const l of logs) {
        if (l.outcome !== "missed" || l.triggerId === null) continue;
        this.#alerts.send({
          type: "missed_runs",
          trigger: { id: l.triggerId, name: l.triggerName },
          logId: l.id,
          reason: l.reason,
          missed: l.missed,
        });
      }
    });
  }

  async stop(): Promise<void> {
    this.#unsubscribe?.();
    this.#unsubscribe = null;
    await Promise.all(this.#pending);
  }

  /** For the outbox: a delivery series ended with `log` as written. */
  settled = (log: StoredLog): void => {
    if (log.outcome !== "failed" || log.triggerId === null) return;
    this.#alerts.send({
      type: "delivery_failed",
      trigger: { id: log.triggerId, name: log.triggerName },
      logId: log.id,
      delivery: log.delivery,
    });
    const p = this.#maybePause(log.triggerId).catch((err) =>
      console.error("pauseAfterFailures check failed:", (err as Error).message)
    );
    this.#pending.add(p);
    p.finally(() => this.#pending.delete(p));
  };

  async #maybePause(triggerId: string): Promise<void> {
    const limit = (await getTrigger(this.#deps, triggerId).catch(() => null))?.webhook
      ?.pauseAfterFailures;
    if (limit === undefined) return;
    if (await failureCount(this.#deps.kv, triggerId) < limit) return;
    const reason = `paused after ${limit} consecutive delivery failures`;
    const paused = await autoPauseTrigger(this.#deps, triggerId, reason);
    if (!paused) return;
    // Only the pause that changed the trigger alerts, and starts the count again.
    await resetFailureCount(this.#deps.kv, triggerId);
    this.#alerts.send({
      type: "trigger_paused",
      trigger: { id: paused.id, name: paused.name },
      reason,
    });
  }
}
