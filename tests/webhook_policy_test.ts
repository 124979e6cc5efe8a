/** The pure parts of webhook delivery: retry policy, signature, per-host limiter. */
import assert from "node:assert/strict";
import { createHmac } from "node:crypto";
import { HostLimiter, laneKey } from "../webhook/host_limiter.ts";
import { classify } from "../webhook/address_policy.ts";
import {
  type AttemptResult,
  backoffDelay,
  isRetryable,
  isSuccess,
  MAX_BACKOFF_MS,
  nextDelay,
  retryAfterDelay,
} from "../webhook/policy.ts";
import { idempotencyKey } from "../webhook/record.ts";
import { importSigningKey, signatureHeader } from "../webhook/signature.ts";

const result = (status: number | null, retryAfter: string | null = null): AttemptResult => ({
  status,
  error: status === null ? "Network error: refused" : null,
  retryAfter,
});

Deno.test("backoffDelay() draws from [0, backoffMs * 2^(k-1)] and caps at five minutes", () => {
  const half = () => 0.5;
  assert.deepEqual([1, 2, 3, 4].map((k) => backoffDelay(100, k, half)), [50, 100, 200, 400]);
  assert.equal(backoffDelay(100, 3, () => 0), 0);
  assert.equal(backoffDelay(100, 3, () => 0.999), 399);
  assert.equal(backoffDelay(60_000, 20, () => 0.999), Math.floor(0.999 * MAX_BACKOFF_MS));
  assert.equal(backoffDelay(0, 5, half), 0);
});

Deno.test("retryAfterDelay() reads delta seconds and HTTP dates, clamped to [0, 5 min]", () => {
  const now = Date.parse("2026-11-29T10:00:00.000Z");
  assert.equal(retryAfterDelay("2", now), 2_000);
  assert.equal(retryAfterDelay(" 10 ", now), 10_000);
  assert.equal(retryAfterDelay("0", now), 0);
  assert.equal(retryAfterDelay("Sun, 29 Nov 2026 10:00:30 GMT", now), 30_000);
  assert.equal(retryAfterDelay("Sun, 29 Nov 2026 09:00:00 GMT", now), 0);
  assert.equal(retryAfterDelay("86400", now), MAX_BACKOFF_MS);
  assert.equal(retryAfterDelay("soon", now), null);
  assert.equal(retryAfterDelay("-1", now), null);
  assert.equal(retryAfterDelay("1.5", now), null);
  assert.equal(retryAfterDelay(null, now), null);
});

Deno.test("nextDelay() prefers Retry-After to the jittered backoff", () => {
  const now = 1_000_000;
  assert.equal(nextDelay(result(503, "3"), 100, 1, now, () => 0.5), 3_000);
  assert.equal(nextDelay(result(503, "junk"), 100, 2, now, () => 0.5), 100);
  assert.equal(nextDelay(result(null), 100, 1, now, () => 0.5), 50);
});

Deno.test("isRetryable() retries network errors, timeouts, 429 and 5xx only", () => {
  const statuses = [null, 200, 204, 301, 302, 400, 401, 404, 408, 409, 422, 429, 500, 502, 503];
  assert.deepEqual(
    statuses.filter((s) => !isSuccess(result(s)) && isRetryable(result(s))),
    [null, 429, 500, 502, 503],
  );
  assert.deepEqual(statuses.filter((s) => isSuccess(result(s))), [200, 204]);
});

Deno.test("idempotencyKey() is trigger:occurrence, or trigger:logId when not scheduled", () => {
  const id = "01JDX0000000000000000000AA";
  const logId = "01JDY0000000000000000000BB";
  assert.equal(
    idempotencyKey({ id: logId, triggerId: id, scheduledFor: "2026-11-29T10:30:00.000Z" }),
    `${id}:2026-11-29T10:30:00.000Z`,
  );
  assert.equal(idempotencyKey({ id: logId, triggerId: id, scheduledFor: null }), `${id}:${logId}`);
  assert.equal(idempotencyKey({ id: logId, triggerId: null, scheduledFor: null }), `test:${logId}`);
});

Deno.test("signatureHeader() is t=<seconds>,v2=<hex HMAC-SHA256 of t.logId.body>", async () => {
  const key = await importSigningKey("s3cret");
  const body = '{"a":1,"é":"ü"}';
  const logId = "01JDY0000000000000000000BB";
  const header = await signatureHeader(key, logId, body, 1_764_410_400_999);
  const expected = createHmac("sha256", "s3cret").update(`1764410400.${logId}.${body}`).digest(
    "hex",
  );
  assert.equal(header, `t=1764410400,v2=${expected}`);
  // Another firing (log id) with the same body in the same second signs differently.
  assert.notEqual(
    await signatureHeader(key, "01JDY0000000000000000000CC", body, 1_764_410_400_999),
    header,
  );
});

Deno.test("HostLimiter keeps perHost in flight per host, first come first served", async () => {
  const limiter = new HostLimiter(2);
  const a1 = await limiter.acquire("a:1");
  const a2 = await limiter.acquire("a:1");
  const order: string[] = [];
  const w3 = limiter.acquire("a:1").then((r) => (order.push("a3"), r));
  const w4 = limiter.acquire("a:1").then((r) => (order.push("a4"), r));
  // Another host is not held up by the full one.
  const b1 = await limiter.acquire("b:1");
  assert.deepEqual(limiter.counts(), { active: 3, waiting: 2 });
  a1();
  a1(); // a second call is ignored
  const a3 = await w3;
  assert.deepEqual(order, ["a3"]);
  assert.deepEqual(limiter.counts(), { active: 3, waiting: 1 });
  a2();
  const a4 = await w4;
  assert.deepEqual(order, ["a3", "a4"]);
  for (const r of [a3, a4, b1]) r();
  assert.deepEqual(limiter.counts(), { active: 0, waiting: 0 });
});

Deno.test("HostLimiter drops a waiter whose signal aborts", async () => {
  const limiter = new HostLimiter(1);
  const held = await limiter.acquire("h");
  const ctl = new AbortController();
  const waiting = limiter.acquire("h", ctl.signal);
  ctl.abort(new Error("stopping"));
  await assert.rejects(waiting, /stopping/);
  assert.deepEqual(limiter.counts(), { active: 1, waiting: 0 });
  held();
  assert.deepEqual(limiter.counts(), { active: 0, waiting: 0 });
});

Deno.test("HostLimiter takes the trigger's slot before the host's: one trigger never holds them all", async () => {
  const limiter = new HostLimiter(4, 2);
  const a = await Promise.all([1, 2].map(() => limiter.acquire(laneKey("A", "http://h:1/x"))));
  const a3 = limiter.acquire(laneKey("A", "http://h:1/x"));
  // A waits for its own slot without taking a host slot; B still gets one at once.
  const b = limiter.tryAcquire(laneKey("B", "http://h:1/y"));
  assert.ok(b);
  assert.deepEqual(limiter.counts(), { active: 3, waiting: 1 });
  a[0]();
  (await a3)();
  a[1]();
  b();
  assert.deepEqual(limiter.counts(), { active: 0, waiting: 0 });
});

Deno.test("classify() knows metadata, loopback, private, link-local and CGNAT addresses", () => {
  const cases: [string, string | null][] = [
    ["169.254.169.254", "metadata"],
    ["fd00:ec2::254", "metadata"],
    ["::ffff:a9fe:a9fe", "metadata"],
    ["127.0.0.1", "loopback"],
    ["::1", "loopback"],
    ["10.1.2.3", "private"],
    ["172.31.255.255", "private"],
    ["192.168.0.1", "private"],
    ["fc00::1", "private"],
    ["169.254.1.1", "link-local"],
    ["fe80::1", "link-local"],
    ["100.64.0.1", "CGNAT"],
    ["172.32.0.1", null],
    ["8.8.8.8", null],
    ["2001:db8::1", null],
  ];
  for (const [addr, kind] of cases) assert.equal(classify(addr), kind, addr);
});
