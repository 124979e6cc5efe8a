/**
 * The web UI: `/` is the shell, `/static/*` the vendored Preact + htm modules, components and
 * styles, read from the `static/` folder beside this one (embedded by `deno compile --include`).
 * Validators come from hono/etag (304 on a match), gzip from hono/compress, the usual browser
 * hardening headers from hono/secure-headers.
 */
import { type Context, Hono } from "hono";
import { compress } from "hono/compress";
import { etag } from "hono/etag";
import { secureHeaders } from "hono/secure-headers";
import { NotFoundError, problemResponse } from "../core/errors.ts";

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

// Segments of plain names only: no "..", no leading dot, no percent-escapes or backslashes, so a
// request can never leave static/ (the URL parser has already folded literal "/../").
const SAFE_PATH = /^(?:[A-Za-z0-9_@-][A-Za-z0-9_.@-]*\/)*[A-Za-z0-9_@-][A-Za-z0-9_.@-]*\.([a-z]+)$/;

// Vendored modules live under versioned folders (preact-10.29.8/), so their URLs never change
// meaning and may be cached for good; our own files revalidate with an ETag on every load.
const IMMUTABLE = "public, max-age=31536000, immutable";
const REVALIDATE = "no-cache";

/**
 * Browser hardening for the UI and the docs page. No HSTS: Tock usually speaks plain HTTP on
 * loopback, where a Strict-Transport-Security header would pin the whole host name to https.
 */
export function uiSecurityHeaders() {
  return secureHeaders({ strictTransportSecurity: false, xFrameOptions: "DENY" });
}

export function uiRoutes(): Hono {
  const ui = new Hono();
  // Scoped to the UI's own patterns: a sub-app's "*" would cover the whole app once mounted.
  // Weak tags: the same for the gzipped and the plain answer, so a 304 repeats the 200's tag.
  // Compressed here too, so the UI is whole on its own (the app's compress then skips it).
  for (const pattern of ["/", "/static/*"]) {
    ui.use(pattern, compress(), uiSecurityHeaders(), etag({ weak: true }));
  }
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
  const headers: Record<string, string> = {
    "Content-Type": TYPES[ext],
    "Cache-Control": cacheControl,
    "Vary": "Accept-Encoding",
  };
  if (ext === "html") headers["Content-Security-Policy"] = await contentSecurityPolicy(body);
  return c.body(body, 200, headers);
}

function notFound(c: Context): Response {
  return problemResponse(new NotFoundError(`No file at ${c.req.path}`));
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
