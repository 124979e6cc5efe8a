/**
 * The shared SSE parser (static/sse.js), used by the UI and the CLI: the WHATWG parsing rules,
 * fed whole and cut into chunks at every possible place.
 */
import assert from "node:assert/strict";
import { createSseParser, type SseEvent } from "../static/sse.js";
import { readEvents } from "../cli/sse.ts";

function parse(chunks: string[]): { events: SseEvent[]; lastEventId: string; retry?: number } {
  const events: SseEvent[] = [];
  const parser = createSseParser((e) => events.push(e));
  for (const c of chunks) parser.push(c);
  parser.end();
  return { events, lastEventId: parser.lastEventId, retry: parser.retry };
}

/** Every way to cut `text` into two chunks, plus one chunk per character. */
function cuts(text: string): string[][] {
  const out = [[text], [...text]];
  for (let i = 1; i < text.length; i++) out.push([text.slice(0, i), text.slice(i)]);
  return out;
}

const STREAM = [
  ": keep-alive",
  "",
  "event: fired",
  'data: {"a":',
  "data: 1}",
  "id: 7",
  "",
  "data: x",
  "",
  "data",
  "",
  "event: trigger",
  "data:no-space",
  "data:  two spaces",
  "unknown: field",
  "",
  "retry: 2500",
  "retry: soon",
  "id",
  "data: after reset",
  "",
  "event: dropped",
  "",
  "data: unterminated",
].join("\n");

const EXPECTED: SseEvent[] = [
  { event: "fired", data: '{"a":\n1}', id: "7" },
  { event: "message", data: "x", id: "7" },
  { event: "message", data: "", id: "7" },
  { event: "trigger", data: "no-space\n two spaces", id: "7" },
  { event: "message", data: "after reset", id: "" },
];

Deno.test("createSseParser() follows the field rules: events, multi-line data, comments, id, retry", () => {
  const r = parse([STREAM]);
  assert.deepEqual(r.events, EXPECTED);
  assert.equal(r.retry, 2500);
  assert.equal(r.lastEventId, "");
});

Deno.test("createSseParser() reads LF, CRLF and CR line endings alike, cut at any point", () => {
  for (const eol of ["\n", "\r\n", "\r"]) {
    const text = STREAM.replaceAll("\n", eol);
    for (const chunks of cuts(text)) {
      assert.deepEqual(parse(chunks).events, EXPECTED, `${JSON.stringify(eol)} ${chunks.length}`);
    }
  }
});

Deno.test("createSseParser() tells a CRLF split across chunks from two CR line ends", () => {
  // "\r" then "\n" in the next chunk is one line end: no blank line, no early dispatch.
  assert.deepEqual(parse(["data: a\r", "\ndata: b\r\n\r\n"]).events, [
    { event: "message", data: "a\nb", id: "" },
  ]);
  // "\r\r" is two line ends: the second is the blank line that dispatches.
  assert.deepEqual(parse(["data: a\r", "\rdata: b\r\r"]).events, [
    { event: "message", data: "a", id: "" },
    { event: "message", data: "b", id: "" },
  ]);
});

Deno.test("createSseParser() drops a leading BOM and an id holding NUL", () => {
  const r = parse(["\uFEFFid: 1\ndata: a\n\nid: 2\0x\ndata: b\n\n"]);
  assert.deepEqual(r.events, [
    { event: "message", data: "a", id: "1" },
    { event: "message", data: "b", id: "1" },
  ]);
});

Deno.test("readEvents() decodes a byte stream split inside a character and a CRLF", async () => {
  const bytes = new TextEncoder().encode('event: fired\r\ndata: {"é":1}\r\nid: 9\r\n\r\n');
  const at = bytes.indexOf(0xc3) + 1; // inside the two bytes of "é"
  const crlf = bytes.indexOf(0x0d) + 1; // between the first CR and its LF
  const body = new ReadableStream<Uint8Array>({
    start(c) {
      c.enqueue(bytes.slice(0, crlf));
      c.enqueue(bytes.slice(crlf, at));
      c.enqueue(bytes.slice(at));
      c.close();
    },
  });
  const events = [];
  for await (const e of readEvents(body)) events.push(e);
  assert.deepEqual(events, [{ event: "fired", data: '{"é":1}', id: "9" }]);
});
