/**
 * A delivery connects to the addresses its destination check saw (webhook/pinned_request.ts):
 * the host name is resolved once, by the resolver the check uses, so a DNS answer that changes
 * between check and connection (rebinding) cannot reach a refused address. The names here end
 * in `.invalid` or `.test`, which no resolver answers (RFC 6761): a delivery that arrives went
 * where the outbox's resolver said, not where the system's would. TLS still verifies the
 * certificate against the URL's name (a CA and a leaf for hooks.example.test in
 * tests/fixtures/tls, valid until 2126).
 */
import assert from "node:assert/strict";
import { fileURLToPath as fromFileUrl } from "node:url";
import { assertRefused, receiver, webhookApp } from "./webhook_helpers.ts";
import { api, startServer, waitFor } from "./helpers/server.ts";
import type { ResolvedAddress } from "../webhook/address_policy.ts";
import { PinnedTransport } from "../webhook/pinned_request.ts";

/** A resolver that answers `answers` for every name and records what it was asked. */
function fixedResolver(answers: ResolvedAddress[]) {
  const asked: string[] = [];
  return {
    asked,
    resolve: (host: string) => {
      asked.push(host);
      return Promise.resolve(answers);
    },
  };
}

const LOOPBACK: ResolvedAddress = { address: "127.0.0.1", family: 4 };

Deno.test("a delivery goes to the address the outbox's resolver answered, under the URL's own Host", async () => {
  const rx = receiver();
  const dns = fixedResolver([LOOPBACK]);
  try {
    await using t = await webhookApp({ outbox: { resolve: dns.resolve } });
    const port = new URL(rx.url).port;
    const id = await t.apiTrigger({ url: `http://hooks.rebind.invalid:${port}/hook`, retries: 0 });
    const log = await t.settled((await t.fire(id, { n: 1 })).id);
    assert.equal(log.outcome, "ok", JSON.stringify(log.delivery));
    assert.deepEqual(dns.asked, ["hooks.rebind.invalid"]);
    assert.equal(rx.hits.length, 1);
    assert.equal(rx.hits[0].headers.get("host"), `hooks.rebind.invalid:${port}`);
    assert.equal(rx.hits[0].body, '{"n":1}');
  } finally {
    await rx.close();
  }
});

Deno.test("a name that resolves to a metadata address is refused at once, even without --webhook-deny-private", async () => {
  const dns = fixedResolver([{ address: "169.254.169.254", family: 4 }]);
  await using t = await webhookApp({ outbox: { resolve: dns.resolve } });
  const id = await t.apiTrigger({ url: "http://metadata.rebind.invalid/", retries: 5 });
  const log = await t.settled((await t.fire(id, {})).id);
  assertRefused(log, "Blocked destination: 169.254.169.254 is a cloud metadata address");
});

Deno.test("with denyPrivate, one private address among a name's answers refuses the delivery and nothing is sent", async () => {
  const rx = receiver();
  // A public address first: a check of only the first answer, or a connection that tried
  // another answer than the checked one, would let the loopback receiver be reached.
  const dns = fixedResolver([{ address: "203.0.113.7", family: 4 }, LOOPBACK]);
  try {
    await using t = await webhookApp({ outbox: { denyPrivate: true, resolve: dns.resolve } });
    const port = new URL(rx.url).port;
    const id = await t.apiTrigger({ url: `http://mixed.rebind.invalid:${port}/`, retries: 3 });
    const log = await t.settled((await t.fire(id, {})).id);
    assertRefused(
      log,
      "Blocked destination: 127.0.0.1 is a loopback address (--webhook-deny-private)",
    );
    assert.equal(rx.hits.length, 0);
  } finally {
    await rx.close();
  }
});

Deno.test("a webhook's own Host and framing headers do not reach the wire; its User-Agent does", async () => {
  const rx = receiver();
  try {
    await using t = await webhookApp();
    const headers = {
      "Host": "evil.example",
      "Content-Length": "1",
      "Transfer-Encoding": "chunked",
      "Connection": "close",
      "X-Kept": "yes",
      "User-Agent": "hooks-client/2",
    };
    const id = await t.apiTrigger({ url: rx.url, headers, retries: 0 });
    const log = await t.settled((await t.fire(id, { whole: "body" })).id);
    assert.equal(log.outcome, "ok", JSON.stringify(log.delivery));
    const hit = rx.hits[0];
    assert.equal(hit.headers.get("host"), new URL(rx.url).host);
    assert.equal(hit.headers.get("x-kept"), "yes");
    assert.equal(hit.headers.get("user-agent"), "hooks-client/2");
    assert.equal(hit.headers.get("transfer-encoding"), null);
    assert.equal(hit.body, '{"whole":"body"}');
  } finally {
    await rx.close();
  }
});

Deno.test("over TLS the pinned connection verifies the certificate against the URL's host name", async () => {
  const dir = new URL("./fixtures/tls/", import.meta.url);
  const ca = await Deno.readTextFile(new URL("ca.pem", dir));
  const server = Deno.serve({
    hostname: "127.0.0.1",
    port: 0,
    cert: await Deno.readTextFile(new URL("hooks.example.test.pem", dir)),
    key: await Deno.readTextFile(new URL("hooks.example.test.key", dir)),
    onListen() {},
  }, async (req) => new Response(`${req.headers.get("host")} ${await req.text()}`));
  const port = server.addr.port;
  const send = async (transport: PinnedTransport, host: string) => {
    try {
      const url = `https://${host}:${port}/hook`;
      const res = await transport.send(
        { url, method: "POST", headers: {}, body: "{}" },
        new AbortController().signal,
        1024,
      );
      return `${res.status} ${res.text}`;
    } catch (err) {
      return `error: ${(err as Error).message}`;
    }
  };
  const dns = fixedResolver([LOOPBACK]);
  const trusting = new PinnedTransport({ denyPrivate: false, resolve: dns.resolve, extraCa: [ca] });
  const bundled = new PinnedTransport({ denyPrivate: false, resolve: dns.resolve, extraCa: [] });
  // DENO_CERT, read when a transport is made (as `fetch` honours it at start).
  Deno.env.set("DENO_CERT", fromFileUrl(new URL("ca.pem", dir)));
  const fromEnv = new PinnedTransport({ denyPrivate: false, resolve: dns.resolve });
  Deno.env.delete("DENO_CERT");
  try {
    assert.equal(await send(trusting, "hooks.example.test"), `200 hooks.example.test:${port} {}`);
    assert.equal(await send(fromEnv, "hooks.example.test"), `200 hooks.example.test:${port} {}`);
    // The same address under another name: the certificate does not name it.
    assert.match(await send(trusting, "other.example.test"), /^error: .*other\.example\.test/);
    // Without the CA the chain is not trusted: verification is on.
    assert.match(await send(bundled, "hooks.example.test"), /^error: /);
  } finally {
    for (const t of [trusting, bundled, fromEnv]) t.close();
    await server.shutdown();
  }
});

Deno.test("idle kept-alive connections are at most 4 per destination and close once idle", async () => {
  // A plain TCP server that answers every request on a connection and counts open connections.
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  let open = 0;
  const serving = (async () => {
    for await (const conn of listener) {
      open++;
      (async () => {
        const buf = new Uint8Array(64 * 1024);
        try {
          let text = "";
          for (;;) {
            const n = await conn.read(buf);
            if (n === null) break;
            text += new TextDecoder().decode(buf.subarray(0, n));
            // Each request here is headers plus a 2-byte body ("{}").
            while (text.includes("\r\n\r\n{}")) {
              text = text.slice(text.indexOf("\r\n\r\n{}") + 6);
              await conn.write(
                new TextEncoder().encode("HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok"),
              );
            }
          }
        } catch { /* reset */ }
        conn.close();
        open--;
      })();
    }
  })();
  const { port } = listener.addr as Deno.NetAddr;
  const transport = new PinnedTransport({
    denyPrivate: false,
    resolve: fixedResolver([LOOPBACK]).resolve,
    idleMs: 300,
  });
  try {
    const send = () =>
      transport.send(
        { url: `http://pool.invalid:${port}/`, method: "POST", headers: {}, body: "{}" },
        new AbortController().signal,
        1024,
      );
    const answers = await Promise.all(Array.from({ length: 8 }, send));
    assert.deepEqual(answers.map((a) => a.text), Array(8).fill("ok"));
    // Eight connections were opened at once; at most four stay for reuse.
    await waitFor(() => open <= 4, 10_000, "idle connections beyond 4 to close");
    assert.equal((await send()).text, "ok");
    // And those go once idle for longer than idleMs.
    await waitFor(() => open === 0, 10_000, "idle connections to close");
  } finally {
    transport.close();
    listener.close();
    await serving.catch(() => {});
  }
});

Deno.test("a URL's user and password go out as Basic authorization, as fetch sends them", async () => {
  const rx = receiver();
  try {
    await using t = await webhookApp();
    const port = new URL(rx.url).port;
    const url = `http://us%40er:p%3Ass%20%C3%A9@127.0.0.1:${port}/hook`;
    const id = await t.apiTrigger({ url, retries: 0 });
    assert.equal((await t.settled((await t.fire(id, {})).id)).outcome, "ok");
    // What Deno's own fetch sends for the same URL, to the same receiver.
    await (await fetch(url, { method: "POST", body: "{}" })).text();
    const [delivered, fetched] = rx.hits.map((h) => h.headers.get("authorization"));
    assert.equal(
      delivered,
      "Basic " + btoa(String.fromCharCode(
        ...new TextEncoder().encode("us@er:p:ss é"),
      )),
    );
    assert.equal(delivered, fetched);
    // A part that does not decode goes as written, not as a failed delivery.
    const odd = await t.apiTrigger({ url: `http://a%zz:pw@127.0.0.1:${port}/hook`, retries: 0 });
    assert.equal((await t.settled((await t.fire(odd, {})).id)).outcome, "ok");
    assert.equal(rx.hits[2].headers.get("authorization"), "Basic " + btoa("a%zz:pw"));
    // An Authorization header of the webhook's own is sent instead.
    const own = await t.apiTrigger({ url, headers: { Authorization: "Bearer t0k" }, retries: 0 });
    assert.equal((await t.settled((await t.fire(own, {})).id)).outcome, "ok");
    assert.equal(rx.hits[3].headers.get("authorization"), "Bearer t0k");
  } finally {
    await rx.close();
  }
});

Deno.test("with HTTP_PROXY set, the server delivers through the proxy, as fetch does", async () => {
  // A proxy that answers every request itself and records its absolute-form target.
  const targets: string[] = [];
  const proxy = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, async (req) => {
    targets.push(req.url);
    await req.text();
    return new Response("proxied");
  });
  const server = await startServer({
    env: { HTTP_PROXY: `http://127.0.0.1:${proxy.addr.port}` },
  });
  try {
    // No resolver knows this name: only the proxy can take the request.
    const webhook = { url: "http://hooks.proxied.invalid/hook", retries: 0 };
    const body = { name: "via-proxy", type: "api", webhook };
    const created = await api(server, "POST", "/api/triggers", body);
    assert.equal(created.status, 201);
    const fired = await api(server, "POST", `/api/triggers/${created.body.id}/fire`, { n: 1 });
    const log = await waitFor(
      async () => {
        const entry = (await api(server, "GET", `/api/logs/${fired.body.id}`)).body;
        return entry.outcome === "pending" ? null : entry;
      },
      15_000,
      "the delivery to settle",
    );
    assert.equal(log.outcome, "ok", JSON.stringify(log.delivery));
    assert.deepEqual(targets, ["http://hooks.proxied.invalid/hook"]);
  } finally {
    await server.stop();
    await proxy.shutdown();
  }
});
