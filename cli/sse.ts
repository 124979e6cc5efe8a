/** Server-sent events from a response body, through the parser the UI uses too. */
import { createSseParser, type SseEvent } from "../static/sse.js";

export type { SseEvent };

/**
 * Yields the events of a text/event-stream body as they arrive; comments (keep-alives) are
 * skipped and an event without an `event:` field is a `message`.
 */
export async function* readEvents(body: ReadableStream<Uint8Array>): AsyncGenerator<SseEvent> {
  const ready: SseEvent[] = [];
  const parser = createSseParser((e) => ready.push(e));
  for await (const chunk of body.pipeThrough(new TextDecoderStream())) {
    parser.push(chunk);
    yield* ready.splice(0);
  }
  parser.end();
}
