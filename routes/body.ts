/** Reading and validating request bodies and queries at the route edge. */
import type { Context } from "hono";
import type { z } from "zod";
import {
  PayloadTooLargeError,
  RequestTimeoutError,
  UnsupportedMediaTypeError,
  ValidationError,
} from "../core/errors.ts";
import { FifoDeadlines } from "../core/deadlines.ts";
import { fieldErrors } from "../core/field_errors.ts";
import { jsonTextTooDeep, MAX_JSON_DEPTH } from "../core/json_bounds.ts";

declare module "hono" {
  interface ContextVariableMap {
    /** Deadlines of `--body-timeout`, the longest pause between two chunks; set by app.ts. */
    bodyDeadlines: FifoDeadlines;
  }
}

/** Used when the app did not set `bodyDeadlines` (the documented default). */
const DEFAULT_BODY_TIMEOUT_MS = 10_000;

/** Refuses malformed UTF-8; one for all requests (a decode without `stream` keeps no state). */
const STRICT_UTF8 = new TextDecoder("utf-8", { fatal: true });

/** `application/json` or a `+json` type, any parameters. */
const JSON_TYPE = /^application\/(?:[\w.-]+\+)?json\s*(?:;|$)/i;

/**
 * Reads the whole body as strict UTF-8 JSON. The body must be sent as `application/json` (415
 * otherwise: a browser can send text/plain across sites without asking); at most `maxBytes`,
 * counted as it arrives (413); no pause longer than the body timeout (408). An empty body yields
 * `fallback`, or is a 400 when no fallback is given.
 */
export async function readJson(c: Context, maxBytes: number, fallback?: unknown): Promise<unknown> {
  const type = c.req.header("content-type");
  if (type !== undefined && !JSON_TYPE.test(type)) throw notJson();
  const declared = Number(c.req.header("content-length") ?? NaN);
  if (declared > maxBytes) throw tooLarge(maxBytes);
  const body = c.req.raw.body;
  if (!body) return emptyOr(fallback);
  const bytes = await readAll(body, maxBytes, declared, bodyDeadlines(c));
  if (bytes.byteLength === 0) return emptyOr(fallback);
  if (type === undefined) throw notJson();
  let text: string;
  try {
    text = STRICT_UTF8.decode(bytes);
  } catch {
    throw new ValidationError("The request body is not valid UTF-8");
  }
  if (text.trim() === "") return emptyOr(fallback);
  // Deeper nesting overflows the stack in zod and in KV's serializer: a 400, never a 500.
  if (jsonTextTooDeep(text)) {
    throw new ValidationError(`The request body nests deeper than ${MAX_JSON_DEPTH} levels`);
  }
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new ValidationError(`The request body is not valid JSON: ${(err as Error).message}`);
  }
}

/**
 * The body's bytes in one buffer, never more than `maxBytes` of it, with no pause longer than
 * the body timeout (one shared deadline queue per app, not a timer per read).
 *
 * Deno 2.9 hands a body that arrived whole as a plain stream (asking it for a BYOB reader
 * throws, which cost a stack trace per request) and a body still arriving as a byte stream.
 * So the first chunk is read plainly: the usual request is one chunk, its declared length, and
 * is done. Only when more is coming is a BYOB reader asked for, which fills our buffer in place:
 * a body trickled a byte at a time must not cost one of Deno's 16-64 KiB read buffers per byte
 * (a default reader on a byte stream grew resident memory by ~50 MB over 20,000 such bytes,
 * against ~14 MB).
 */
async function readAll(
  body: ReadableStream<Uint8Array>,
  maxBytes: number,
  declared: number,
  deadlines: FifoDeadlines,
): Promise<Uint8Array> {
  const stalled = () => new RequestTimeoutError(`The request body stalled for ${deadlines.ms} ms`);
  const plain = body.getReader();
  let reader: ReadableStreamDefaultReader<Uint8Array> | ReadableStreamBYOBReader = plain;
  try {
    const first = await deadlines.race(plain.read(), stalled);
    if (first.done) return new Uint8Array(0);
    if (first.value.byteLength > maxBytes) throw tooLarge(maxBytes);
    // HTTP framing ends a body at its declared length: nothing more can come. The stream is
    // still read to its end (not awaited): a body stream left open holds Deno's request-body
    // resource until a full GC (~60 KiB a request: 8,000 fires of 3 KB grew the server's RSS
    // by ~240 MiB between full GCs; finished, ~50 MiB).
    if (first.value.byteLength === declared) {
      plain.read().catch(() => {});
      return first.value;
    }
    let size = first.value.byteLength;
    const expected = Number.isInteger(declared) ? declared + 1 : Math.max(4096, 2 * size);
    let buf: Uint8Array = new Uint8Array(Math.min(maxBytes + 1, Math.max(expected, size + 1)));
    buf.set(first.value);
    /** Room for `need` bytes (doubling, never past one byte over the limit). */
    const grow = (need: number) => {
      if (need <= buf.byteLength) return;
      const grown = new Uint8Array(Math.min(maxBytes + 1, Math.max(2 * buf.byteLength, need)));
      grown.set(buf.subarray(0, size));
      buf = grown;
    };
    plain.releaseLock();
    try {
      reader = body.getReader({ mode: "byob" });
    } catch {
      reader = body.getReader(); // a plain stream after all: chunks are copied and let go
    }
    for (;;) {
      grow(size + 1);
      const next: ReadableStreamReadResult<Uint8Array> = reader instanceof ReadableStreamBYOBReader
        ? await deadlines.race(reader.read(new Uint8Array(buf.buffer, size)), stalled)
        : await deadlines.race(reader.read(), stalled);
      if (next.value && reader instanceof ReadableStreamBYOBReader) {
        // The read transferred the buffer: keep the one it came back in.
        buf = new Uint8Array(next.value.buffer);
        size += next.value.byteLength;
      } else if (next.value) {
        if (size + next.value.byteLength > maxBytes) throw tooLarge(maxBytes);
        grow(size + next.value.byteLength);
        buf.set(next.value, size);
        size += next.value.byteLength;
      }
      if (size > maxBytes) throw tooLarge(maxBytes);
      if (next.done) return buf.subarray(0, size);
    }
  } catch (err) {
    await reader.cancel().catch(() => {});
    throw err;
  }
}

/** The stall deadlines of readers outside an app that set its own (the documented default). */
let fallbackDeadlines: FifoDeadlines | null = null;

function bodyDeadlines(c: Context): FifoDeadlines {
  return c.get("bodyDeadlines") ??
    (fallbackDeadlines ??= new FifoDeadlines(DEFAULT_BODY_TIMEOUT_MS));
}

function notJson(): UnsupportedMediaTypeError {
  return new UnsupportedMediaTypeError("The request body must be sent as application/json");
}

function emptyOr(fallback: unknown): unknown {
  if (fallback === undefined) {
    throw new ValidationError("The request body is empty; expected JSON");
  }
  return fallback;
}

function tooLarge(maxBytes: number): PayloadTooLargeError {
  return new PayloadTooLargeError(`The request body is larger than ${maxBytes} bytes`);
}

/** Parses `input` with `schema` or throws a ValidationError with dotted field paths. */
export function parseWith<S extends z.ZodType>(
  schema: S,
  input: unknown,
  what: string,
): z.output<S> {
  const res = schema.safeParse(input);
  if (!res.success) throw new ValidationError(`The ${what} is invalid`, fieldErrors(res.error));
  return res.data;
}

/** The query string as a plain object (last value wins). */
export function queryOf(c: Context): Record<string, string> {
  return Object.fromEntries(new URL(c.req.url).searchParams);
}
