/**
 * Shared by the webhook tests: a real receiver on 127.0.0.1 that records what it gets, and an
 * app on `:memory:` KV with a running outbox.
 */
import assert from "node:assert/strict";
import { WebhookOutbox } from "../webhook/outbox.ts";
import type { OutboxOptions } from "../webhook/outbox_options.ts";
import { type TestApp, testApp, uniqueName } from "./helpers/app.ts";
import { waitFor } from "./helpers/server.ts";

export interface Hit {
  atMs: number;
  method: string;
  path: string;
  headers: Headers;
  body: string;
}

export type Reply = (req: Request, n: number) => Response | Promise<Response>;

export interface Receiver {
  url: string;
  hits: Hit[];
  /** Changes what the receiver answers from now on. */
  reply: Reply;
  /** Resolves every request that is waiting on `hang()`; also done by close(). */
  releaseHung(): void;
  /** A reply that never answers until `releaseHung()`. */
  hang(): Promise<Response>;
  close(): Promise<void>;
}

/** A webhook receiver on a free port; `reply` answers request number n (1-based). */
export function receiver(reply: Reply = () => new Response("ok")): Receiver {
  let hung = Promise.withResolvers<void>();
  let closed = false;
  const r: Receiver = {
    url: "",
    hits: [],
    reply,
    releaseHung() {
      hung.resolve();
      hung = Promise.withResolvers<void>();
    },
    async hang() {
      if (!closed) await hung.promise;
      return new Response("released", { status: 503 });
    },
    async close() {
      closed = true;
      r.releaseHung();
      await server.shutdown();
    },
  };
  const server = Deno.serve(
    { port: 0, hostname: "127.0.0.1", onListen() {} },
    async (req) => {
      const body = await req.text();
      r.hits.push({
        atMs: Date.now(),
        method: req.method,
        path: new URL(req.url).pathname,
        headers: req.headers,
        body,
      });
      return await r.reply(req, r.hits.length);
    },
  );
  r.url = `http://127.0.0.1:${server.addr.port}/hook`;
  return r;
}

export interface WebhookApp extends TestApp {
  outbox: WebhookOutbox;
  /** Creates an api trigger delivering to `webhook`; returns its id. */
  apiTrigger(webhook: Record<string, unknown>, extra?: Record<string, unknown>): Promise<string>;
  /** Fires trigger `id` with `payload`; returns the 202 log entry. */
  // deno-lint-ignore no-explicit-any
  fire(id: string, payload?: unknown): Promise<any>;
  /** Waits until log entry `logId` is no longer pending and returns it. */
  // deno-lint-ignore no-explicit-any
  settled(logId: string, timeoutMs?: number): Promise<any>;
}

/** An app on fresh `:memory:` KV with a started outbox (without queues unless asked). */
export async function webhookApp(
  opts: { args?: string[]; outbox?: OutboxOptions } = {},
): Promise<WebhookApp> {
  const base = await testApp({ args: ["--kv", ":memory:", ...(opts.args ?? [])] });
  const outbox = new WebhookOutbox(base.deps, { queues: false, ...opts.outbox });
  await outbox.start();
  const t: WebhookApp = {
    ...base,
    outbox,
    async apiTrigger(webhook, extra = {}) {
      const res = await base.call("POST", "/api/triggers", {
        name: uniqueName("hook"),
        type: "api",
        webhook,
        ...extra,
      });
      if (res.status !== 201) throw new Error(`create: ${res.status} ${JSON.stringify(res.body)}`);
      return res.body.id;
    },
    async fire(id, payload) {
      const res = await base.call("POST", `/api/triggers/${id}/fire`, payload);
      if (res.status !== 202) throw new Error(`fire: ${res.status} ${JSON.stringify(res.body)}`);
      return res.body;
    },
    settled(logId, timeoutMs = 15_000) {
      return waitFor(
        async () => {
          const res = await base.call("GET", `/api/logs/${logId}`);
          return res.status === 200 && res.body.outcome !== "pending" ? res.body : null;
        },
        timeoutMs,
        `log ${logId} to settle`,
      );
    },
    async [Symbol.asyncDispose]() {
      await outbox.stop();
      await base[Symbol.asyncDispose]();
    },
  };
  return t;
}

/**
 * Asserts a delivery refused at once: failed after its one attempt, no HTTP status, and
 * `error` (the text, or a pattern it matches).
 */
// deno-lint-ignore no-explicit-any
export function assertRefused(log: any, error: string | RegExp): void {
  assert.equal(log.outcome, "failed");
  assert.equal(log.delivery.attempts, 1);
  assert.equal(log.delivery.status, null);
  if (typeof error === "string") assert.equal(log.delivery.error, error);
  else assert.match(log.delivery.error, error);
}
