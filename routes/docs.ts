/** `GET /docs`: the OpenAPI document rendered by a small local page (no CDN). */
import { Hono } from "hono";
import { DOCS_CSS, DOCS_HTML, DOCS_JS } from "./docs_page.ts";
import { secureHeaders } from "hono/secure-headers";

const HEADERS = {
  "Content-Security-Policy": "default-src 'self'; script-src 'self'; style-src 'self'; " +
    "connect-src 'self'; img-src 'self' data:; object-src 'none'; base-uri 'none'; " +
    "frame-ancestors 'none'",
  "Cache-Control": "no-cache",
};

export function docsRoutes(): Hono {
  const app = new Hono();
  // The UI's browser hardening (routes/ui.ts): no HSTS on a loopback http service.
  const hardening = secureHeaders({ strictTransportSecurity: false, xFrameOptions: "DENY" });
  for (const pattern of ["/docs", "/docs/*"]) app.use(pattern, hardening);
  app.get(
    "/docs",
    (c) => c.body(DOCS_HTML, 200, { ...HEADERS, "Content-Type": "text/html; charset=utf-8" }),
  );
  app.get(
    "/docs/docs.js",
    (c) => c.body(DOCS_JS, 200, { ...HEADERS, "Content-Type": "text/javascript; charset=utf-8" }),
  );
  app.get(
    "/docs/docs.css",
    (c) => c.body(DOCS_CSS, 200, { ...HEADERS, "Content-Type": "text/css; charset=utf-8" }),
  );
  return app;
}
