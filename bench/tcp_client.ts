/**
 * A minimal HTTP/1.1 client over one keep-alive TCP connection, for bench/load.ts's `--client
 * tcp`: far less CPU per request than `fetch`, so the load generator takes less of the cores
 * the server under test needs. Requests go one at a time (no pipelining).
 */
const CRLFCRLF = [13, 10, 13, 10];
const enc = new TextEncoder();
const latin1 = new TextDecoder("latin1");
const utf8 = new TextDecoder();

function indexOfSeq(buf: Uint8Array, seq: number[], from = 0): number {
  outer: for (let i = from; i <= buf.length - seq.length; i++) {
    for (let j = 0; j < seq.length; j++) if (buf[i + j] !== seq[j]) continue outer;
    return i;
  }
  return -1;
}

/** One HTTP/1.1 keep-alive connection; requests one at a time (no pipelining). */
export class TcpClient {
  #conn: Deno.TcpConn | null = null;
  #buf = new Uint8Array(0);
  #scratch = new Uint8Array(64 * 1024);

  async request(
    url: URL,
    method: string,
    headers: Record<string, string>,
    body: string | undefined,
  ): Promise<{ status: number; text: string }> {
    try {
      this.#conn ??= await Deno.connect({ hostname: url.hostname, port: Number(url.port) });
      const payload = body === undefined ? new Uint8Array(0) : enc.encode(body);
      let head = `${method} ${url.pathname}${url.search} HTTP/1.1\r\nhost: ${url.host}\r\n`;
      for (const [k, v] of Object.entries(headers)) head += `${k}: ${v}\r\n`;
      head += `content-length: ${payload.length}\r\n\r\n`;
      const h = enc.encode(head);
      const out = new Uint8Array(h.length + payload.length);
      out.set(h);
      out.set(payload, h.length);
      for (let off = 0; off < out.length;) off += await this.#conn.write(out.subarray(off));
      let end: number;
      while ((end = indexOfSeq(this.#buf, CRLFCRLF)) < 0) await this.#fill();
      const header = latin1.decode(this.#buf.subarray(0, end));
      const status = Number(header.slice(9, 12));
      const rest = this.#buf.subarray(end + 4);
      const len = /\r\ncontent-length:\s*(\d+)/i.exec(header);
      let bodyBytes: Uint8Array<ArrayBufferLike>;
      if (len) {
        const n = Number(len[1]);
        this.#buf = rest;
        while (this.#buf.length < n) await this.#fill();
        bodyBytes = this.#buf.subarray(0, n);
        this.#buf = this.#buf.subarray(n);
      } else if (/\r\ntransfer-encoding:\s*chunked/i.test(header)) {
        const parts: Uint8Array[] = [];
        this.#buf = rest;
        for (;;) {
          let eol: number;
          while ((eol = indexOfSeq(this.#buf, [13, 10])) < 0) await this.#fill();
          const size = parseInt(latin1.decode(this.#buf.subarray(0, eol)), 16);
          while (this.#buf.length < eol + 2 + size + 2) await this.#fill();
          if (size === 0) {
            this.#buf = this.#buf.subarray(eol + 4);
            break;
          }
          parts.push(this.#buf.slice(eol + 2, eol + 2 + size));
          this.#buf = this.#buf.subarray(eol + 2 + size + 2);
        }
        bodyBytes = new Uint8Array(parts.reduce((a, p) => a + p.length, 0));
        let off = 0;
        for (const p of parts) {
          bodyBytes.set(p, off);
          off += p.length;
        }
      } else {
        bodyBytes = new Uint8Array(0);
        this.#buf = rest;
      }
      return { status, text: utf8.decode(bodyBytes) };
    } catch (err) {
      this.#conn?.close();
      this.#conn = null;
      this.#buf = new Uint8Array(0);
      throw err;
    }
  }

  async #fill(): Promise<void> {
    const n = await this.#conn!.read(this.#scratch);
    if (n === null) throw new Error("connection closed by the server");
    const next = new Uint8Array(this.#buf.length + n);
    next.set(this.#buf);
    next.set(this.#scratch.subarray(0, n), this.#buf.length);
    this.#buf = next;
  }

  close(): void {
    this.#conn?.close();
    this.#conn = null;
  }
}
