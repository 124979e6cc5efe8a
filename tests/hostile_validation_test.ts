/**
 * Payload validation cannot stall the server: the exponential schema and the backtracking
 * regex of issue 13 answer 422 (fire and /api/test) while /healthz keeps answering and a
 * scheduled trigger keeps firing. Against the real server (subprocess, real KV, sockets).
 */
import assert from "node:assert/strict";
import { startServer, waitFor } from "./helpers/server.ts";

/** 24 levels of `$defs`, each `anyOf` of two refs to the next: 2^24 paths for a non-number. */
function bombSchema(levels = 24): Record<string, unknown> {
  const defs: Record<string, unknown> = {};
  for (let i = 0; i < levels; i++) {
    defs[`d${i}`] = { anyOf: [{ $ref: `#/$defs/d${i + 1}` }, { $ref: `#/$defs/d${i + 1}` }] };
  }
  defs[`d${levels}`] = { type: "number" };
  return { $ref: "#/$defs/d0", $defs: defs };
}

const REGEX_SCHEMA = { type: "string", pattern: "^(a+)+$" };
const EVIL_STRING = "a".repeat(32) + "!";

async function json(res: Response) {
  return { status: res.status, body: await res.json() };
}

Deno.test("the bomb schema and the backtracking regex answer 422 while /healthz and the schedule go on", async () => {
  const server = await startServer();
  try {
    const post = (path: string, body: unknown) =>
      fetch(server.url + path, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify(body),
      });
    const ticker = await json(
      await post("/api/triggers", { name: "ticker", schedule: { everySeconds: 1 } }),
    );
    assert.equal(ticker.status, 201);
    const bomb = await json(
      await post("/api/triggers", { name: "bomb", type: "api", payloadSchema: bombSchema() }),
    );
    assert.equal(bomb.status, 201, JSON.stringify(bomb.body));
    const regex = await json(
      await post("/api/triggers", { name: "regex", type: "api", payloadSchema: REGEX_SCHEMA }),
    );
    assert.equal(regex.status, 201);

    const cases: [string, () => Promise<Response>][] = [
      ["fire bomb", () => post(`/api/triggers/${bomb.body.id}/fire`, "x")],
      [
        "test bomb",
        () => post("/api/test", { type: "api", payloadSchema: bombSchema(), payload: "x" }),
      ],
    ];
    for (const [what, send] of cases) {
      const order: string[] = [];
      const bad = send().then((res) => {
        order.push("validation");
        return json(res);
      });
      // /healthz is asked while the validation runs, and answers before it ends.
      const health = await fetch(server.url + "/healthz");
      order.push(`healthz ${health.status}`);
      await health.body?.cancel();
      const res = await bad;
      assert.equal(res.status, 422, what);
      assert.match(res.body.detail, /too expensive to evaluate/, what);
      assert.deepEqual(order, ["healthz 200", "validation"], what);
    }

    // RE2 matches the pattern in linear time: an ordinary 422, listing the one error.
    const fired = await json(await post(`/api/triggers/${regex.body.id}/fire`, EVIL_STRING));
    assert.equal(fired.status, 422);
    assert.deepEqual(fired.body.errors, [
      { path: "payload", message: 'must match pattern "^(a+)+$"' },
    ]);
    const tested = await json(
      await post("/api/test", { type: "api", payloadSchema: REGEX_SCHEMA, payload: EVIL_STRING }),
    );
    assert.equal(tested.status, 422);
    const ok = await json(await post(`/api/triggers/${regex.body.id}/fire`, "aaaa"));
    assert.equal(ok.status, 202);

    // Nothing fired for the refused payloads.
    const bombLogs = await json(await fetch(`${server.url}/api/logs?trigger=${bomb.body.id}`));
    assert.deepEqual(bombLogs.body.items, []);
    // The scheduled trigger kept firing: entries with their lateness recorded.
    const ticks = await waitFor(
      async () => {
        const logs = await json(await fetch(`${server.url}/api/logs?trigger=${ticker.body.id}`));
        return logs.body.items.length >= 2 ? logs.body.items : null;
      },
      15_000,
      "the scheduled trigger to fire",
    );
    for (const l of ticks) assert.equal(typeof l.lateMs, "number");
  } finally {
    await server.stop();
  }
});
