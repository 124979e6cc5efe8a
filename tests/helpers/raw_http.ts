/** HTTP/1.1 over a bare TCP socket, for requests fetch() will not send (Host, trickles, stalls). */

export interface RawResponse {
  status: number;
  head: string;
  body: string;
}

/** Sends `request` as is to 127.0.0.1:`port` and reads the answer until the server closes. */
export async function rawHttp(port: number, request: string): Promise<RawResponse> {
  const conn = await Deno.connect({ hostname: "127.0.0.1", port });
  try {
    await writeAll(conn, new TextEncoder().encode(request));
    return await readResponse(conn);
  } finally {
    try {
      conn.close();
    } catch { /* closed by the server */ }
  }
}

/** Writes every byte of `data`. */
export async function writeAll(conn: Deno.Conn, data: Uint8Array): Promise<void> {
  let at = 0;
  while (at < data.length) at += await conn.write(data.subarray(at));
}

/**
 * Reads one response: the head, then `Content-Length` bytes of body (or until the connection
 * ends). Chunked bodies are returned raw.
 */
export async function readResponse(conn: Deno.Conn): Promise<RawResponse> {
  const dec = new TextDecoder();
  let text = "";
  const buf = new Uint8Array(16 * 1024);
  for (;;) {
    const headEnd = text.indexOf("\r\n\r\n");
    if (headEnd >= 0) {
      const head = text.slice(0, headEnd);
      const length = /\r\ncontent-length: *(\d+)/i.exec(head);
      const body = text.slice(headEnd + 4);
      if (length && new TextEncoder().encode(body).length >= Number(length[1])) {
        return { status: Number(head.split(" ")[1]), head, body };
      }
    }
    const n = await conn.read(buf).catch(() => null);
    if (n === null) break;
    text += dec.decode(buf.subarray(0, n), { stream: true });
  }
  const headEnd = text.indexOf("\r\n\r\n");
  if (headEnd < 0) throw new Error(`no HTTP response head in ${JSON.stringify(text)}`);
  const head = text.slice(0, headEnd);
  return { status: Number(head.split(" ")[1]), head, body: text.slice(headEnd + 4) };
}
