/**
 * Delivery signatures, two schemes with one secret:
 * - `Tock-Signature: t=<unix seconds>,v2=<hex HMAC-SHA256(secret, "<t>.<Tock-Log-Id>.<body>")>`.
 *   The log id binds the signature to one firing of one trigger: the same body sent in the
 *   same second to two receivers no longer signs identically (v1 signed only "<t>.<body>").
 * - Standard Webhooks: `webhook-id`, `webhook-timestamp`, `webhook-signature: v1,<base64
 *   HMAC-SHA256(key, "<id>.<timestamp>.<body>")>`, where a `whsec_<base64>` secret's key is
 *   the decoded bytes and any other secret's key its UTF-8 bytes.
 */

const encoder = new TextEncoder();

/** Imports `secret` once as an HMAC-SHA256 signing key (WebCrypto) over its UTF-8 bytes. */
export function importSigningKey(secret: string): Promise<CryptoKey> {
  return importRawKey(encoder.encode(secret));
}

/** The Standard Webhooks key of `secret`: base64-decoded after `whsec_`, else UTF-8 bytes. */
export function importStandardKey(secret: string): Promise<CryptoKey> {
  if (secret.startsWith("whsec_")) {
    try {
      return importRawKey(Uint8Array.from(atob(secret.slice(6)), (c) => c.charCodeAt(0)));
    } catch { /* not base64: the secret is used as it is, like any other */ }
  }
  return importSigningKey(secret);
}

function importRawKey(bytes: Uint8Array): Promise<CryptoKey> {
  return crypto.subtle.importKey(
    "raw",
    bytes as Uint8Array<ArrayBuffer>,
    { name: "HMAC", hash: "SHA-256" },
    false,
    ["sign"],
  );
}

async function mac(key: CryptoKey, text: string): Promise<Uint8Array> {
  return new Uint8Array(await crypto.subtle.sign("HMAC", key, encoder.encode(text)));
}

/** Lower-case hex of the HMAC-SHA256 of `"<t>.<logId>.<body>"`. */
export async function signatureHex(
  key: CryptoKey,
  t: number,
  logId: string,
  body: string,
): Promise<string> {
  const bytes = await mac(key, `${t}.${logId}.${body}`);
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

/**
 * The `Tock-Signature` value for `body` of log entry `logId` sent at `nowMs`.
 * @example await signatureHeader(key, "01J...", '{"a":1}', Date.now()) // "t=1764410400,v2=5f0c..."
 */
export async function signatureHeader(
  key: CryptoKey,
  logId: string,
  body: string,
  nowMs: number,
): Promise<string> {
  const t = Math.floor(nowMs / 1000);
  return `t=${t},v2=${await signatureHex(key, t, logId, body)}`;
}

/** The Standard Webhooks `webhook-signature` value: `v1,<base64 HMAC of "<id>.<ts>.<body>">`. */
export async function standardSignature(
  key: CryptoKey,
  id: string,
  timestampSeconds: number,
  body: string,
): Promise<string> {
  const bytes = await mac(key, `${id}.${timestampSeconds}.${body}`);
  return `v1,${btoa(String.fromCharCode(...bytes))}`;
}
