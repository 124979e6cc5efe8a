// @ts-check
// A Server-Sent Events parser (the WHATWG "event stream" rules), shared by the UI and the CLI so
// both read /api/events the same way. Text in, whole events out; no I/O of its own.

/**
 * One dispatched event. `id` is the last event id seen so far (it persists across events, as
 * in EventSource); `retry` is set only on the event whose block carried a valid `retry:`.
 * @typedef {{ event: string, data: string, id: string, retry?: number }} SseEvent
 */

/**
 * A parser fed with decoded text chunks in arrival order; it calls `onEvent` for each event that
 * ends with a blank line. Lines may be split across chunks, and CRLF, CR or LF all end a line.
 * @param {(event: SseEvent) => void} onEvent
 * @returns {{ push(chunk: string): void }}
 */
export function createSseParser(onEvent) {
  let buffer = "";
  let event = "";
  /** @type {string[]} */
  let data = [];
  let lastId = "";
  /** @type {number | undefined} */
  let retry;
  // A chunk ending in "\r" may be the first half of "\r\n": wait for the next chunk to know.
  let pendingCr = false;

  /** @param {string} line */
  function line(line) {
    if (line === "") {
      if (data.length) {
        /** @type {SseEvent} */
        const ev = { event: event || "message", data: data.join("\n"), id: lastId };
        if (retry !== undefined) ev.retry = retry;
        onEvent(ev);
      }
      event = "";
      data = [];
      retry = undefined;
      return;
    }
    if (line.startsWith(":")) return;
    const colon = line.indexOf(":");
    const field = colon < 0 ? line : line.slice(0, colon);
    let value = colon < 0 ? "" : line.slice(colon + 1);
    if (value.startsWith(" ")) value = value.slice(1);
    if (field === "event") event = value;
    else if (field === "data") data.push(value);
    else if (field === "id" && !value.includes("\0")) lastId = value;
    else if (field === "retry" && /^\d+$/.test(value)) retry = Number(value);
  }

  return {
    push(chunk) {
      if (pendingCr && chunk.startsWith("\n")) chunk = chunk.slice(1);
      pendingCr = false;
      buffer += chunk;
      let start = 0;
      for (let i = 0; i < buffer.length; i++) {
        const c = buffer[i];
        if (c !== "\n" && c !== "\r") continue;
        line(buffer.slice(start, i));
        if (c === "\r") {
          if (i + 1 === buffer.length) pendingCr = true;
          else if (buffer[i + 1] === "\n") i++;
        }
        start = i + 1;
      }
      buffer = buffer.slice(start);
    },
  };
}
