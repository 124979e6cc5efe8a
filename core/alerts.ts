/**
 * Alerts for the operator (`--alert-webhook`): what they say, and the sink that sends them.
 * The sender lives in webhook/ (it signs and posts like a delivery); the rules that decide to
 * alert (services/) need only this contract.
 */

/** What an alert is about. */
export type AlertType = "delivery_failed" | "missed_runs" | "trigger_paused" | "alerts_suppressed";

/** The JSON body of an alert. */
export interface Alert {
  /** Unique per alert; also its `webhook-id` (what the signatures cover with the body). */
  id: string;
  type: AlertType;
  at: string;
  trigger?: { id: string; name: string };
  [field: string]: unknown;
}

/** Where alerts go: `webhook/alerts.ts` posts them, signed and rate-limited. */
export interface AlertSink {
  send(alert: Omit<Alert, "at" | "id">): void;
}
