/** Builds the app on a fresh `:memory:` KV for `app.request()` tests. */
import { createApp } from "../../http/app.ts";
import { type Clock, systemClock } from "../../core/clock.ts";
import { type Config, parseConfig } from "../../core/config.ts";
import { createDeps, type Deps } from "../../db/deps.ts";

export interface TestApp {
  app: ReturnType<typeof createApp>;
  deps: Deps;
  kv: Deno.Kv;
  /** JSON request helper: returns status, headers and parsed body (asserted field by field). */
  call(
    method: string,
    path: string,
    body?: unknown,
    headers?: Record<string, string>,
    // deno-lint-ignore no-explicit-any
  ): Promise<{ status: number; body: any; headers: Headers }>;
  [Symbol.asyncDispose](): Promise<void>;
}

export async function testApp(
  opts: { config?: Partial<Config>; clock?: Clock; args?: string[] } = {},
): Promise<TestApp> {
  const kv = await Deno.openKv(":memory:");
  const config = { ...parseConfig(opts.args ?? ["--kv", ":memory:"], {}), ...opts.config };
  const deps: Deps = createDeps(kv, config, { clock: opts.clock ?? systemClock });
  const app = createApp(deps);
  return {
    app,
    deps,
    kv,
    async call(method, path, body, headers = {}) {
      const init: RequestInit = { method, headers: { ...headers } };
      if (body !== undefined) {
        init.body = typeof body === "string" || body instanceof Uint8Array
          ? body as BodyInit
          : JSON.stringify(body);
        (init.headers as Record<string, string>)["content-type"] ??= "application/json";
      }
      const res = await app.request(path, init);
      const text = await res.text();
      let parsed: unknown = text;
      try {
        parsed = text ? JSON.parse(text) : null;
      } catch { /* not JSON */ }
      return { status: res.status, body: parsed, headers: res.headers };
    },
    [Symbol.asyncDispose]() {
      deps.schemas.close();
      kv.close();
      return Promise.resolve();
    },
  };
}

/** A unique trigger name for this test run. */
export function uniqueName(prefix = "t"): string {
  return `${prefix}-${crypto.randomUUID().slice(0, 8)}`;
}
