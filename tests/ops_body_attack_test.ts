/**
 * Bodies that arrive badly, against the real server over bare sockets (issue 13): a stalled
 * body is answered 408 and dropped; a body trickled one byte per write keeps memory bounded.
 */
import assert from "node:assert/strict";
import { startServer, waitFor } from "./helpers/server.ts";
import { readResponse, writeAll } from "./helpers/raw_http.ts";

const enc = new TextEncoder();

/** Resident memory of `pid` in bytes, from /proc. */
async function rss(pid: number): Promise<number> {
  const status = await Deno.readTextFile(`/proc/${pid}/status`);
  return Number(/^VmRSS:\s+(\d+) kB$/m.exec(status)![1]) * 1024;
}

function head(path: string, port: number, length: number): string {
  return `POST ${path} HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\n` +
    `Content-Type: application/json\r\nContent-Length: ${length}\r\n\r\n`;
}

Deno.test("a body that stalls longer than --body-timeout is answered 408 and nothing is created", async () => {
  const server = await startServer({ args: ["--body-timeout", "1s"] });
  try {
    for (const path of ["/api/triggers", "/schedule_trigger"]) {
      const conn = await Deno.connect({ hostname: "127.0.0.1", port: server.port });
      try {
        // 10 of 100 declared bytes, then silence.
        await writeAll(conn, enc.encode(head(path, server.port, 100) + '{"name":"'));
        const res = await readResponse(conn);
        assert.equal(res.status, 408, path);
        if (path === "/api/triggers") {
          assert.equal(JSON.parse(res.body).detail, "The request body stalled for 1000 ms");
        } else {
          assert.deepEqual(JSON.parse(res.body), { error: "The request body stalled for 1000 ms" });
        }
      } finally {
        conn.close();
      }
    }
    const list = await fetch(`${server.url}/api/triggers`);
    assert.deepEqual((await list.json()).items, []);
    // The server goes on serving.
    const health = await fetch(`${server.url}/healthz`);
    assert.equal(health.status, 200);
    await health.body?.cancel();
  } finally {
    await server.stop();
  }
});

Deno.test("a 20,000-byte body trickled one byte per write leaves resident memory within 50 MB", async () => {
  const server = await startServer();
  try {
    const pid = server.proc.pid;
    // Warm up the paths the trickle takes, so the baseline includes compiled code.
    for (let i = 0; i < 3; i++) {
      const res = await fetch(`${server.url}/api/triggers`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ name: `warm-${i}`, type: "api" }),
      });
      await res.body?.cancel();
    }
    const before = await rss(pid);
    const N = 20_000;
    const payload = `{"name":"trickle","type":"api","payload":{"pad":"${"x".repeat(N - 52)}"}}`;
    assert.equal(payload.length, N);
    const conn = await Deno.connect({ hostname: "127.0.0.1", port: server.port });
    conn.setNoDelay(true);
    let peak = before;
    try {
      await writeAll(conn, enc.encode(head("/api/triggers", server.port, N)));
      const bytes = enc.encode(payload);
      for (let i = 0; i < N; i++) {
        await writeAll(conn, bytes.subarray(i, i + 1));
        // Yield now and then so the server reads many tiny chunks rather than a few big ones.
        if (i % 50 === 0) await new Promise((r) => setTimeout(r, 0));
        if (i % 2000 === 0) peak = Math.max(peak, await rss(pid));
      }
      const res = await readResponse(conn);
      assert.equal(res.status, 201, res.body);
    } finally {
      conn.close();
    }
    const after = await rss(pid);
    peak = Math.max(peak, after);
    const grew = (peak - before) / 1024 / 1024;
    assert.ok(grew < 50, `resident memory grew ${grew.toFixed(1)} MB during the trickle`);
    const created = await waitFor(async () => {
      const res = await fetch(`${server.url}/api/triggers?limit=100`);
      const items = (await res.json()).items as { name: string; payload: { pad: string } }[];
      return items.find((t) => t.name === "trickle");
    });
    assert.equal(created.payload.pad.length, N - 52);
  } finally {
    await server.stop();
  }
});
