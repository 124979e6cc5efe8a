// @ts-check
/**
 * The one server-sent events parser, shared by the UI (loaded as-is by the browser, no build)
 * and the CLI (imported from Deno). It follows the WHATWG "event stream interpretation"
 * rules: LF, CRLF and CR line endings, comments, multi-line data, `id` kept across events,
 * `retry`. Text goes in as it arrives, in chunks cut anywhere; decoding bytes is the caller's
 * job (a TextDecoder with `stream: true`, or TextDecoderStream).
 */

/**
 * One dispatched event.
 * @typedef {object} SseEvent
 * @property {string} event the `event:` field, or "message" when absent
 * @property {string} data the `data:` lines joined with "\n"
 * @property {string} id the last event id seen so far ("" when none), as EventSource keeps it
 */

/**
 * The parser: feed it text, it calls `onEvent` for each complete event.
 * @typedef {object} SseParser
 * @property {(chunk: string) => void} push feeds the next piece of the stream's text
 * @property {() => void} end the stream ended: a half-received event is dropped, per the spec
 * @property {string} lastEventId the id to send as `Last-Event-ID` when reconnecting
 * @property {number | undefined} retry the reconnection delay the server asked for, in ms
 */

/**
 * Creates a parser that calls `onEvent` for every event the text holds.
 * @param {(event: SseEvent) => void} onEvent
 * @returns {SseParser}
 * @example
 * const parser = createSseParser((e) => console.log(e.event, JSON.parse(e.data)));
 * parser.push("event: fired\ndata: {}\n\n");
 */
export function createSseParser(onEvent) {
  let line = "";
  let sawCr = false;
  let started = false;
  let eventType = "";
  let data = "";
  let hasData = false;
  let lastEventId = "";
  /** @type {number | undefined} */
  let retry;

  /** @param {string} text */
  function processLine(text) {
    if (text === "") {
      if (hasData) onEvent({ event: eventType || "message", data, id: lastEventId });
      eventType = "";
      data = "";
      hasData = false;
      return;
    }
    if (text.startsWith(":")) return;
    const colon = text.indexOf(":");
    const field = colon === -1 ? text : text.slice(0, colon);
    let value = colon === -1 ? "" : text.slice(colon + 1);
    if (value.startsWith(" ")) value = value.slice(1);
    switch (field) {
      case "event":
        eventType = value;
        break;
      case "data":
        data = hasData ? `${data}\n${value}` : value;
        hasData = true;
        break;
      case "id":
        if (!value.includes("\0")) lastEventId = value;
        break;
      case "retry":
        if (/^\d+$/.test(value)) retry = Number(value);
        break;
    }
  }

  return {
    push(chunk) {
      let text = chunk;
      if (!started && text.length > 0) {
        started = true;
        if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
      }
      let from = 0;
      for (let i = 0; i < text.length; i++) {
        const ch = text[i];
        if (ch === "\n") {
          // The LF of a CRLF whose CR ended the line already (maybe in the previous chunk).
          if (sawCr && i === from && line === "") {
            sawCr = false;
            from = i + 1;
            continue;
          }
          processLine(line + text.slice(from, i));
          line = "";
          sawCr = false;
          from = i + 1;
        } else if (ch === "\r") {
          processLine(line + text.slice(from, i));
          line = "";
          sawCr = true;
          from = i + 1;
        } else if (sawCr) {
          sawCr = false;
        }
      }
      line += text.slice(from);
    },
    end() {
      line = "";
      eventType = "";
      data = "";
      hasData = false;
    },
    get lastEventId() {
      return lastEventId;
    },
    get retry() {
      return retry;
    },
  };
}
