import { Hono } from "hono";
import type { Context } from "hono";

/** Content types of the files the UI ships; anything else under static/ is not served. */
const TYPES: Record<string, string> = {
  html: "text/html; charset=utf-8",
  js: "text/javascript; charset=utf-8",
  css: "text/css; charset=utf-8",
  svg: "image/svg+xml",
  png: "image/png",
  ico: "image/x-icon",
  json: "application/json; charset=utf-8",
  txt: "text/plain; charset=utf-8",
};
const COMPRESSIBLE = new Set(["html", "js", "css", "svg", "json", "txt"]);

// Segments of plain names only: no "..", no leading dot, no percent-escapes or backslashes, so a
// request can never leave static/ (the URL parser has already folded literal "/../").
const SAFE_PATH = /^(?:[A-Za-z0-9_@-][A-Za-z0-9_.@-]*\/)*[A-Za-z0-9_@-][A-Za-z0-9_.@-]*\.([a-z]+)$/;

// Vendored modules live under versioned folders (preact-10.29.8/), so their URLs never change
// meaning and may be cached for good; our own files revalidate with an ETag on every load.
const IMMUTABLE = "public, max-age=31536000, immutable";
const REVALIDATE = "no-cache";

/** Gzipped bodies by content hash: computed once per file version, never stale in `--watch`. */
const gzipCache = new Map<string, Uint8Array<ArrayBuffer>>();

/**
 * The web UI: `/` is the shell, `/static/*` the vendored Preact + htm modules, components and
 * styles, read from the `static/` folder beside this one (embedded by `deno compile --include`).
 */
export function uiRoutes(): Hono {
  const ui = new Hono();
  ui.get("/", (c) => serve(c, "index.html", REVALIDATE));
  ui.get("/static/*", (c) => {
    const raw = new URL(c.req.url).pathname.slice("/static/".length);
    const match = SAFE_PATH.exec(raw);
    if (!match || !(match[1] in TYPES)) return notFound(c);
    return serve(c, raw, raw.startsWith("vendor/") ? IMMUTABLE : REVALIDATE);
  });
  return ui;
}

async function serve(c: Context, path: string, cacheControl: string): Promise<Response> {
  let body: Uint8Array<ArrayBuffer>;
  try {
    body = await Deno.readFile(new URL(`../static/${path}`, import.meta.url));
  } catch (err) {
    if (err instanceof Deno.errors.NotFound || err instanceof Deno.errors.IsADirectory) {
      return notFound(c);
    }
    throw err;
  }
  const ext = path.slice(path.lastIndexOf(".") + 1);
  const hash = await digest("SHA-1", body);
  const gzip = COMPRESSIBLE.has(ext) && /\bgzip\b/.test(c.req.header("Accept-Encoding") ?? "");
  const etag = `"${hash.slice(0, 27)}${gzip ? "-gz" : ""}"`;
  const headers = new Headers({
    "Content-Type": TYPES[ext],
    "Cache-Control": cacheControl,
    "ETag": etag,
    "Vary": "Accept-Encoding",
    "X-Content-Type-Options": "nosniff",
  });
  if (ext === "html") {
    headers.set("Content-Security-Policy", await contentSecurityPolicy(body));
    headers.set("Referrer-Policy", "no-referrer");
  }
  if (matchesEtag(c.req.header("If-None-Match"), etag)) {
    return new Response(null, { status: 304, headers });
  }
  if (gzip) {
    let zipped = gzipCache.get(hash);
    if (!zipped) {
      zipped = await compress(body);
      gzipCache.set(hash, zipped);
    }
    headers.set("Content-Encoding", "gzip");
    body = zipped;
  }
  headers.set("Content-Length", String(body.byteLength));
  return new Response(c.req.method === "HEAD" ? null : body, { status: 200, headers });
}

function notFound(c: Context): Response {
  return c.json({ type: "about:blank", title: "Not found", status: 404 }, 404, {
    "Content-Type": "application/problem+json",
  });
}

function matchesEtag(header: string | undefined, etag: string): boolean {
  if (!header) return false;
  return header.split(",").some((t) => t.trim().replace(/^W\//, "") === etag || t.trim() === "*");
}

async function digest(
  algorithm: "SHA-1" | "SHA-256",
  data: Uint8Array<ArrayBuffer>,
): Promise<string> {
  const bytes = new Uint8Array(await crypto.subtle.digest(algorithm, data));
  return btoa(String.fromCharCode(...bytes)).replace(
    /[+/=]/g,
    (ch) => ch === "+" ? "-" : ch === "/" ? "_" : "",
  );
}

async function compress(data: Uint8Array<ArrayBuffer>): Promise<Uint8Array<ArrayBuffer>> {
  const stream = new Blob([data]).stream().pipeThrough(new CompressionStream("gzip"));
  return new Uint8Array(await new Response(stream).arrayBuffer());
}

/** Scripts only from this origin, plus the inline import map by its hash. */
async function contentSecurityPolicy(html: Uint8Array): Promise<string> {
  const text = new TextDecoder().decode(html);
  const hashes = [];
  for (const m of text.matchAll(/<script type="importmap">([\s\S]*?)<\/script>/g)) {
    const bytes = new Uint8Array(
      await crypto.subtle.digest("SHA-256", new TextEncoder().encode(m[1])),
    );
    hashes.push(`'sha256-${btoa(String.fromCharCode(...bytes))}'`);
  }
  return [
    "default-src 'self'",
    `script-src 'self' ${hashes.join(" ")}`.trim(),
    "style-src 'self'",
    "img-src 'self' data:",
    "connect-src 'self'",
    "object-src 'none'",
    "base-uri 'none'",
    "form-action 'self'",
    "frame-ancestors 'none'",
  ].join("; ");
}
