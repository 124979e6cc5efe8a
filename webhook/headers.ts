/** The headers of one delivery attempt: the webhook's own, then Tock's (which win). */
import type { DeliveryRecord } from "../db/delivery_record.ts";
import { signatureHeader } from "./signature.ts";

/** Headers the outbox sets; a webhook's own headers of the same names are replaced. */
const RESERVED = new Set([
  "content-type",
  "tock-trigger",
  "tock-log-id",
  "tock-attempt",
  "idempotency-key",
  "tock-signature",
]);

/** The request headers of the attempt `rec.attempts` sending `body`, signed when a key is set. */
export async function attemptHeaders(
  rec: DeliveryRecord,
  body: string,
  signingKey: Promise<CryptoKey> | null,
  nowMs: number,
): Promise<Record<string, string>> {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(rec.webhook.headers)) {
    if (!RESERVED.has(name.toLowerCase())) headers[name] = value;
  }
  headers["Content-Type"] = "application/json";
  headers["Tock-Trigger"] = rec.triggerId ?? "test";
  headers["Tock-Log-Id"] = rec.logId;
  headers["Tock-Attempt"] = String(rec.attempts);
  headers["Idempotency-Key"] = rec.idempotencyKey;
  if (signingKey) headers["Tock-Signature"] = await signatureHeader(await signingKey, body, nowMs);
  return headers;
}
