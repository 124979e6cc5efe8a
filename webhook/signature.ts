/**
 * The `Tock-Signature` header: `t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<body>">`, the
 * scheme Stripe made familiar. Receivers recompute it with the shared secret and reject stale
 * timestamps, which stops replays of a captured request.
 */

const encoder = new TextEncoder();

/** Imports `secret` once as an HMAC-SHA256 signing key (WebCrypto). */
export function importSigningKey(secret: string): Promise<CryptoKey> {
  return crypto.subtle.importKey(
    "raw",
    encoder.encode(secret),
    { name: "HMAC", hash: "SHA-256" },
    false,
    ["sign"],
  );
}

/** Lower-case hex of the HMAC-SHA256 of `"<t>.<body>"`. */
export async function signatureHex(key: CryptoKey, t: number, body: string): Promise<string> {
  const mac = await crypto.subtle.sign("HMAC", key, encoder.encode(`${t}.${body}`));
  return Array.from(new Uint8Array(mac), (b) => b.toString(16).padStart(2, "0")).join("");
}

/**
 * The header value for `body` sent at `nowMs`.
 * @example await signatureHeader(key, '{"a":1}', Date.now()) // "t=1764410400,v1=5f0c..."
 */
export async function signatureHeader(
  key: CryptoKey,
  body: string,
  nowMs: number,
): Promise<string> {
  const t = Math.floor(nowMs / 1000);
  return `t=${t},v1=${await signatureHex(key, t, body)}`;
}
