/** Reading and validating request bodies and queries at the route edge. */
import type { Context } from "hono";
import type { z } from "zod";
import {
  PayloadTooLargeError,
  RequestTimeoutError,
  UnsupportedMediaTypeError,
  ValidationError,
} from "../core/errors.ts";
import { fieldErrors } from "../core/field_errors.ts";
import { jsonTextTooDeep, MAX_JSON_DEPTH } from "../core/json_bounds.ts";

declare module "hono" {
  interface ContextVariableMap {
    /** Longest pause between two chunks of a body (`--body-timeout`), set by app.ts. */
    bodyTimeoutMs: number;
  }
}

/** Used when the app did not set `bodyTimeoutMs` (the documented default). */
const DEFAULT_BODY_TIMEOUT_MS = 10_000;

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
  const bytes = await readAll(body, maxBytes, declared, c.get("bodyTimeoutMs"));
  if (bytes.byteLength === 0) return emptyOr(fallback);
  if (type === undefined) throw notJson();
  let text: string;
  try {
    text = new TextDecoder("utf-8", { fatal: true }).decode(bytes);
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
 * The body's bytes in one buffer, never more than `maxBytes` + 1 of it. A body trickled a
 * byte at a time must not cost a chunk object (and the 16-64 KiB buffer Deno reads it into)
 * per byte, as keeping chunks did (~46 KiB a byte): Deno's request bodies are byte streams, so
 * a BYOB reader fills our buffer in place. Other streams (tests' `app.request`) are copied
 * chunk by chunk and each chunk let go at once.
 */
async function readAll(
  body: ReadableStream<Uint8Array>,
  maxBytes: number,
  declared: number,
  stallMs = DEFAULT_BODY_TIMEOUT_MS,
): Promise<Uint8Array> {
  const cap = maxBytes + 1; // room to see one byte too many
  let buf = new Uint8Array(Math.min(cap, Number.isInteger(declared) ? declared + 1 : 4096));
  let size = 0;
  const grow = (need: number) => {
    if (need <= buf.byteLength) return;
    const grown = new Uint8Array(Math.min(cap, Math.max(buf.byteLength * 2, need)));
    grown.set(buf.subarray(0, size));
    buf = grown;
  };
  let byob: ReadableStreamBYOBReader | null = null;
  let plain: ReadableStreamDefaultReader<Uint8Array> | null = null;
  try {
    byob = body.getReader({ mode: "byob" });
  } catch {
    plain = body.getReader();
  }
  try {
    for (;;) {
      if (byob) {
        grow(size + 1);
        const view = new Uint8Array(buf.buffer, size, buf.byteLength - size);
        const { done, value } = await within(byob.read(view), stallMs);
        // The read transfers the buffer: keep the one it came back in.
        if (value) {
          buf = new Uint8Array(value.buffer);
          size += value.byteLength;
        }
        if (size > maxBytes) throw tooLarge(maxBytes);
        if (done) return buf.subarray(0, size);
      } else {
        const { done, value } = await within(plain!.read(), stallMs);
        if (done) return buf.subarray(0, size);
        if (size + value.byteLength > maxBytes) throw tooLarge(maxBytes);
        grow(size + value.byteLength);
        buf.set(value, size);
        size += value.byteLength;
      }
    }
  } catch (err) {
    await (byob ?? plain)!.cancel().catch(() => {});
    throw err;
  }
}

/** The next read, or a 408 when it brings nothing within `ms`. */
async function within<T>(read: Promise<T>, ms: number): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const stalled = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new RequestTimeoutError(`The request body stalled for ${ms} ms`)),
      ms,
    );
  });
  try {
    return await Promise.race([read, stalled]);
  } finally {
    clearTimeout(timer);
  }
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
