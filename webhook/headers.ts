/** The headers of one delivery attempt: the webhook's own, then Tock's (which win). */
import type { DeliveryRecord } from "../db/delivery_record.ts";
import { VERSION } from "../core/version.ts";

/** Headers the outbox sets; a webhook's own headers of the same names are replaced. */
const RESERVED = new Set([
  "content-type",
  "tock-trigger",
  "tock-log-id",
  "tock-attempt",
  "idempotency-key",
  "tock-signature",
]);

/**
 * The request headers of the attempt `rec.attempts`; `applyDeliveryHeaders` then adds the hop
 * count and the signatures.
 */
export function attemptHeaders(rec: DeliveryRecord): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(rec.webhook.headers)) {
    if (!RESERVED.has(name.toLowerCase())) headers[name] = value;
  }
  // Defaults a webhook may set otherwise: who is calling (some receivers and firewalls refuse
  // a request without one), and that any answer will do.
  const own = new Set(Object.keys(headers).map((h) => h.toLowerCase()));
  if (!own.has("user-agent")) headers["User-Agent"] = `Tock/${VERSION}`;
  if (!own.has("accept")) headers["Accept"] = "*/*";
  headers["Content-Type"] = "application/json";
  headers["Tock-Trigger"] = rec.triggerId ?? "test";
  headers["Tock-Log-Id"] = rec.logId;
  headers["Tock-Attempt"] = String(rec.attempts);
  headers["Idempotency-Key"] = rec.idempotencyKey;
  return headers;
}
