/**
 * Outbound access restricted with Deno's `--allow-net=<hosts>`: the real server, run with only
 * the permissions `deno task start` grants but the network narrowed to 127.0.0.1, delivers to
 * allowed hosts and fails deliveries to any other host at once, without retrying.
 */
import assert from "node:assert/strict";
import { startServer, waitFor } from "./helpers/server.ts";
import { receiver } from "./webhook_helpers.ts";

Deno.test("with --allow-net=127.0.0.1 a webhook to another host fails at once, unretried", async () => {
  const rx = receiver();
  const port = new URL(rx.url).port;
  const server = await startServer({
    denoFlags: ["--allow-net=127.0.0.1", "--allow-read", "--allow-write", "--allow-env"],
  });
  try {
    const base = server.url;
    const call = async (method: string, path: string, body?: unknown) => {
      const res = await fetch(base + path, {
        method,
        headers: { "content-type": "application/json" },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      return { status: res.status, body: await res.json() };
    };
    const make = async (url: string) => {
      const res = await call("POST", "/api/triggers", {
        name: "perm-" + crypto.randomUUID().slice(0, 8),
        type: "api",
        webhook: { url, retries: 3, backoffMs: 10 },
      });
      assert.equal(res.status, 201);
      return res.body.id as string;
    };
    const allowed = await make(rx.url);
    const denied = await make(`http://localhost:${port}/hook`);
    const okLog = (await call("POST", `/api/triggers/${allowed}/fire`, { a: 1 })).body;
    const badLog = (await call("POST", `/api/triggers/${denied}/fire`, { b: 1 })).body;
    const settled = async (id: string) =>
      await waitFor(
        async () => {
          const log = (await call("GET", `/api/logs/${id}`)).body;
          return log.outcome !== "pending" ? log : null;
        },
        15_000,
        `log ${id} to settle`,
      );
    assert.equal((await settled(okLog.id)).outcome, "ok");
    const bad = await settled(badLog.id);
    assert.equal(bad.outcome, "failed");
    assert.equal(bad.delivery.attempts, 1);
    assert.equal(bad.delivery.status, null);
    assert.equal(
      bad.delivery.error,
      `Outbound access denied: Requires net access to "localhost:${port}", run again with the --allow-net flag`,
    );
    assert.equal(rx.hits.length, 1);
  } finally {
    await server.stop();
    await rx.close();
  }
});
