/**
 * The headers every attempt carries beside the webhook's own: `Tock-Hops` (loop protection),
 * and when a signing secret is set, `Tock-Signature` and the Standard Webhooks trio. Kept out of
 * the outbox so it needs one call: `await applyDeliveryHeaders(headers, {...})`.
 */
import type { StoredLog } from "../core/schemas.ts";
import { HOPS_HEADER } from "../core/hops.ts";
import {
  importSigningKey,
  importStandardKey,
  signatureHeader,
  standardSignature,
} from "./signature.ts";

/** Names this module sets; a webhook's own headers of these names (any case) are replaced. */
export const SAFETY_HEADERS = [
  HOPS_HEADER,
  "Tock-Signature",
  "webhook-id",
  "webhook-timestamp",
  "webhook-signature",
];
const LOWER = new Set(SAFETY_HEADERS.map((h) => h.toLowerCase()));

/** Keys per secret, imported once (there is one secret per process; tests use a few). */
const keys = new Map<string, Promise<[CryptoKey, CryptoKey]>>();

function keysOf(secret: string): Promise<[CryptoKey, CryptoKey]> {
  let k = keys.get(secret);
  if (!k) {
    k = Promise.all([importSigningKey(secret), importStandardKey(secret)]);
    if (keys.size > 16) keys.clear();
    keys.set(secret, k);
  }
  return k;
}

export interface DeliveryContext {
  log: Pick<StoredLog, "id" | "hops">;
  body: string;
  /** `--signing-secret`; unsigned deliveries without it. */
  secret?: string | null;
  nowMs: number;
}

/**
 * Sets the hop count and signatures on `headers` (in place). `webhook-id` is the log id: the
 * same for every attempt of the firing's delivery, like `Idempotency-Key`.
 */
export async function applyDeliveryHeaders(
  headers: Record<string, string>,
  ctx: DeliveryContext,
): Promise<void> {
  for (const name of Object.keys(headers)) {
    if (LOWER.has(name.toLowerCase())) delete headers[name];
  }
  headers[HOPS_HEADER] = String(ctx.log.hops ?? 1);
  if (!ctx.secret) return;
  const [tockKey, standardKey] = await keysOf(ctx.secret);
  const seconds = Math.floor(ctx.nowMs / 1000);
  headers["Tock-Signature"] = await signatureHeader(tockKey, ctx.log.id, ctx.body, ctx.nowMs);
  headers["webhook-id"] = ctx.log.id;
  headers["webhook-timestamp"] = String(seconds);
  headers["webhook-signature"] = await standardSignature(
    standardKey,
    ctx.log.id,
    seconds,
    ctx.body,
  );
}
