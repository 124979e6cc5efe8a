/**
 * Operator alerts (issue 17): a signed JSON POST to `--alert-webhook` for each final delivery
 * failure, missed-run record and automatic pause. Sent directly (not through the outbox, so
 * an alert never becomes a firing or a delivery to retry), at most `perMinute` a minute: the
 * excess is counted and summarised in one `alerts_suppressed` alert when the minute ends. A
 * failed alert is printed and dropped: alerts never alert about themselves.
 */
import type { Alert, AlertSink } from "../core/alerts.ts";
import type { Deps } from "../core/deps.ts";
import { ulid } from "../core/ulid.ts";
import { applyDeliveryHeaders } from "./delivery_headers.ts";

/** Sends alerts; a no-op without `--alert-webhook`. */
export class Alerter implements AlertSink {
  readonly #deps: Deps;
  readonly #url: string | null;
  readonly #perMinute: number;
  #windowStart = 0;
  #sentInWindow = 0;
  #suppressed = 0;
  #flushTimer: ReturnType<typeof setTimeout> | undefined;
  #inFlight = new Set<Promise<void>>();

  constructor(deps: Deps, opts: { perMinute?: number } = {}) {
    this.#deps = deps;
    this.#url = deps.config.alertWebhook;
    this.#perMinute = opts.perMinute ?? 60;
  }

  /** Sends `alert` now, or counts it when this minute's budget is spent. */
  send(alert: Omit<Alert, "at" | "id">): void {
    if (!this.#url) return;
    const now = this.#deps.clock.now();
    if (now - this.#windowStart >= 60_000) {
      // A new minute: first the summary of what the last one held back, if the timer has not
      // sent it yet, then this alert.
      this.#flush();
      this.#windowStart = now;
      this.#sentInWindow = 0;
    }
    if (this.#sentInWindow >= this.#perMinute) {
      this.#suppressed++;
      // One summary when the window ends, for however many were held back.
      this.#flushTimer ??= setTimeout(() => this.#flush(), this.#windowStart + 60_000 - now);
      return;
    }
    this.#sentInWindow++;
    this.#post({ ...alert, id: ulid(now), at: new Date(now).toISOString() } as Alert);
  }

  /** Waits for alerts in flight and drops a pending summary. */
  async stop(): Promise<void> {
    clearTimeout(this.#flushTimer);
    this.#flushTimer = undefined;
    await Promise.all(this.#inFlight);
  }

  /** Sends the summary of suppressed alerts, if any (it counts against the new minute). */
  #flush(): void {
    clearTimeout(this.#flushTimer);
    this.#flushTimer = undefined;
    const count = this.#suppressed;
    if (count === 0) return;
    this.#suppressed = 0;
    const now = this.#deps.clock.now();
    this.#windowStart = now;
    this.#sentInWindow = 1;
    this.#post({
      id: ulid(now),
      type: "alerts_suppressed",
      count,
      at: new Date(now).toISOString(),
    });
  }

  #post(alert: Alert): void {
    const p = (async () => {
      const body = JSON.stringify(alert);
      const headers: Record<string, string> = {
        "Content-Type": "application/json",
        "Tock-Alert": alert.type,
      };
      try {
        // Signed exactly as deliveries are (Tock-Signature and the Standard Webhooks trio).
        await applyDeliveryHeaders(headers, {
          log: { id: alert.id },
          body,
          secret: this.#deps.config.signingSecret,
          nowMs: Date.now(),
        });
        const res = await fetch(this.#url!, {
          method: "POST",
          headers,
          body,
          signal: AbortSignal.timeout(10_000),
        });
        await res.body?.cancel();
        if (!res.ok) console.error(`alert webhook answered ${res.status} (${alert.type})`);
      } catch (err) {
        console.error(`alert webhook failed (${alert.type}):`, (err as Error).message);
      }
    })();
    this.#inFlight.add(p);
    p.finally(() => this.#inFlight.delete(p));
  }
}

export type { Alert, AlertType } from "../core/alerts.ts";
