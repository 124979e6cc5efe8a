/**
 * Webhook safety (issue 13): loops stop at Tock-Hops 8 with a 508, metadata and (with
 * --webhook-deny-private) private destinations are refused, a hanging receiver path holds up
 * only its own trigger, and deliveries verify with the `standardwebhooks` library.
 */
import assert from "node:assert/strict";
import { Webhook } from "standardwebhooks";
import { startServer, waitFor } from "./helpers/server.ts";
import { assertRefused, receiver, webhookApp } from "./webhook_helpers.ts";
import { hopsFrom, MAX_HOPS } from "../core/hops.ts";
import { LoopDetectedError } from "../core/errors.ts";

Deno.test("hopsFrom() counts one more hop, and refuses the 8th with LoopDetectedError", () => {
  assert.equal(hopsFrom(undefined), 1);
  assert.equal(hopsFrom(null), 1);
  assert.equal(hopsFrom("1"), 2);
  assert.equal(hopsFrom(" 7 "), 8);
  assert.throws(() => hopsFrom(String(MAX_HOPS)), LoopDetectedError);
  assert.throws(() => hopsFrom("99999"), (e: Error) => (e as LoopDetectedError).status === 508);
  assert.throws(() => hopsFrom("-1"), (e: Error) => (e as LoopDetectedError).status === 400);
});

Deno.test("a webhook aimed at its own trigger's /fire stops after 8 firings with a 508", async () => {
  const server = await startServer();
  try {
    const call = async (method: string, path: string, body?: unknown) => {
      const res = await fetch(server.url + path, {
        method,
        headers: body === undefined ? {} : { "content-type": "application/json" },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      return { status: res.status, body: await res.json() };
    };
    const created = await call("POST", "/api/triggers", { name: "ouroboros", type: "api" });
    assert.equal(created.status, 201);
    const id = created.body.id;
    const webhook = { url: `${server.url}/api/triggers/${id}/fire`, retries: 2, backoffMs: 0 };
    assert.equal((await call("PATCH", `/api/triggers/${id}`, { webhook })).status, 200);
    assert.equal((await call("POST", `/api/triggers/${id}/fire`, { n: 1 })).status, 202);

    const logs = await waitFor(
      async () => {
        const res = await call("GET", `/api/logs?trigger=${id}&limit=50`);
        const items = res.body.items;
        return items.some((l: { delivery: { status: number } | null }) =>
            l.delivery?.status === 508
          )
          ? items
          : null;
      },
      20_000,
      "a delivery refused with 508",
    );
    // Nothing fires after the refusal: every firing's delivery has settled, and 8 in all.
    const settled = await waitFor(
      async () => {
        const res = await call("GET", `/api/logs?trigger=${id}&limit=50`);
        return res.body.items.every((l: { outcome: string }) => l.outcome !== "pending")
          ? res.body.items
          : null;
      },
      20_000,
      "every delivery to settle",
    );
    assert.equal(settled.length, 8);
    assert.ok(logs.length <= 10);
    const refused = settled.filter((l: { outcome: string }) => l.outcome === "failed");
    assert.equal(refused.length, 1);
    assert.equal(refused[0].delivery.status, 508);
    assert.equal(refused[0].delivery.attempts, 1, "508 is not retried");
    assert.equal(refused[0].hops, 8);
    assert.deepEqual(
      settled.map((l: { hops?: number }) => l.hops ?? 1).sort((a: number, b: number) => a - b),
      [1, 2, 3, 4, 5, 6, 7, 8],
    );
  } finally {
    await server.stop();
  }
});

Deno.test("deliveries to cloud metadata addresses fail at once, never sent or retried", async () => {
  await using t = await webhookApp();
  for (const url of ["http://169.254.169.254/latest/meta-data/", "http://[fd00:ec2::254]/"]) {
    const id = await t.apiTrigger({ url, retries: 5, backoffMs: 0 });
    const log = await t.settled((await t.fire(id, {})).id);
    assertRefused(log, /^Blocked destination: .* is a cloud metadata address$/);
  }
});

Deno.test("with denyPrivate (--webhook-deny-private) a loopback receiver is refused", async () => {
  const rx = receiver();
  try {
    await using t = await webhookApp({ outbox: { denyPrivate: true } });
    const id = await t.apiTrigger({ url: rx.url, retries: 3, backoffMs: 0 });
    const log = await t.settled((await t.fire(id, {})).id);
    assertRefused(
      log,
      "Blocked destination: 127.0.0.1 is a loopback address (--webhook-deny-private)",
    );
    assert.equal(rx.hits.length, 0);
  } finally {
    await rx.close();
  }
  // Without it the same receiver gets the delivery.
  const rx2 = receiver();
  try {
    await using t = await webhookApp();
    const id = await t.apiTrigger({ url: rx2.url });
    assert.equal((await t.settled((await t.fire(id, {})).id)).outcome, "ok");
    assert.equal(rx2.hits[0].headers.get("tock-hops"), "1");
  } finally {
    await rx2.close();
  }
});

Deno.test("the server started with --webhook-deny-private refuses a loopback webhook", async () => {
  const server = await startServer({ args: ["--webhook-deny-private"] });
  try {
    const post = (path: string, body: unknown) =>
      fetch(server.url + path, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify(body),
      }).then(async (res) => ({ status: res.status, body: await res.json() }));
    const webhook = { url: `${server.url}/healthz`, retries: 3, backoffMs: 0 };
    const created = await post("/api/triggers", { name: "private-hook", type: "api", webhook });
    assert.equal(created.status, 201);
    const fired = await post(`/api/triggers/${created.body.id}/fire`, {});
    assert.equal(fired.status, 202);
    const log = await waitFor(
      async () => {
        const res = await fetch(`${server.url}/api/logs/${fired.body.id}`);
        const entry = await res.json();
        return entry.outcome === "pending" ? null : entry;
      },
      20_000,
      "the delivery to settle",
    );
    assert.equal(log.outcome, "failed");
    assert.equal(log.delivery.attempts, 1);
    assert.match(log.delivery.error, /^Blocked destination: 127\.0\.0\.1 is a loopback address/);
  } finally {
    await server.stop();
  }
});

Deno.test("a hanging receiver path holds up only its own trigger's deliveries to that host", async () => {
  const rx = receiver((req) =>
    new URL(req.url).pathname === "/hang" ? rx.hang() : new Response("ok")
  );
  try {
    await using t = await webhookApp();
    const hangId = await t.apiTrigger({
      url: rx.url.replace(/\/hook$/, "/hang"),
      timeoutMs: 60_000,
      retries: 0,
    });
    const okId = await t.apiTrigger({ url: rx.url });
    const hanging = [];
    for (let i = 0; i < 6; i++) hanging.push(await t.fire(hangId, { i }));
    // The hanging trigger has its 2 slots; the host (4 slots) still has room for others.
    await waitFor(() => rx.hits.length === 2, 10_000, "two hanging requests");
    const other = await t.settled((await t.fire(okId, {})).id);
    assert.equal(other.outcome, "ok");
    assert.deepEqual(rx.hits.map((h) => h.path), ["/hang", "/hang", "/hook"]);
    for (const l of hanging) {
      assert.equal((await t.call("GET", `/api/logs/${l.id}`)).body.outcome, "pending");
    }
  } finally {
    await rx.close();
  }
});

Deno.test("signed deliveries verify with the standardwebhooks library; a tampered body does not", async () => {
  const bytes = crypto.getRandomValues(new Uint8Array(24));
  const secret = "whsec_" + btoa(String.fromCharCode(...bytes));
  const rx = receiver((_req, n) => new Response(null, { status: n === 1 ? 500 : 204 }));
  try {
    await using t = await webhookApp({ args: ["--signing-secret", secret] });
    const id = await t.apiTrigger({ url: rx.url, retries: 1, backoffMs: 0 });
    const fired = await t.fire(id, { amount: 5, note: "é" });
    assert.equal((await t.settled(fired.id)).outcome, "ok");
    assert.equal(rx.hits.length, 2);
    const wh = new Webhook(secret);
    for (const hit of rx.hits) {
      const headers = Object.fromEntries(hit.headers);
      assert.deepEqual(wh.verify(hit.body, headers), { amount: 5, note: "é" });
      assert.throws(() => wh.verify(hit.body.replace("5", "6"), headers));
      assert.match(headers["webhook-signature"], /^v1,[A-Za-z0-9+/]+=*$/);
    }
    // One delivery series, one webhook-id across its attempts.
    assert.equal(rx.hits[0].headers.get("webhook-id"), fired.id);
    assert.equal(rx.hits[1].headers.get("webhook-id"), fired.id);
    // Another secret does not verify.
    const other = new Webhook("whsec_" + btoa("another secret of some length"));
    assert.throws(() => other.verify(rx.hits[1].body, Object.fromEntries(rx.hits[1].headers)));
  } finally {
    await rx.close();
  }
});
