/**
 * Tock's route table: every route the app registers, with the zod schemas it validates with
 * and what it answers. `/openapi.json` is built from it, and a test holds it to `app.routes`.
 */
import { z } from "zod";
import {
  HistogramQuery,
  LogListQuery,
  LogStatsQuery,
  PreviewQuery,
} from "../../core/request_schemas.ts";
import { body, legacyError, logReply, problem, type TockRoute } from "./api_shapes.ts";
import { REFERENCE_ROUTES } from "./route_table_reference.ts";
import { bad, missing, TRIGGER_ROUTES } from "./route_table_triggers.ts";
import type { DocumentInfo, Reply, RouteSpec } from "./openapi_builder.ts";

/** Every route of the contract, in API.md's order, before the answers all routes share. */
const TABLE: TockRoute[] = [
  ...TRIGGER_ROUTES,
  {
    method: "post",
    path: "/api/test",
    summary: "Validate a definition and fire it once now (test: true), saving nothing",
    tag: "test",
    auth: true,
    body: body("TestRequest"),
    responses: {
      "200": { description: "The test firing and the next occurrences", name: "TestResult" },
      "400": bad,
    },
  },
  {
    method: "post",
    path: "/api/preview",
    summary: "Next occurrences of an unsaved definition",
    tag: "test",
    auth: true,
    body: body("TestRequest"),
    query: PreviewQuery,
    responses: { "200": { description: "Occurrences", name: "Occurrences" }, "400": bad },
  },
  {
    method: "get",
    path: "/api/logs",
    summary: "List log entries, newest first",
    tag: "logs",
    auth: true,
    query: LogListQuery,
    responses: { "200": { description: "One page", name: "LogPage" }, "400": bad },
  },
  {
    method: "get",
    path: "/api/logs/histogram",
    summary: "Firings per time bucket and outcome, exact, oldest first",
    tag: "logs",
    auth: true,
    query: HistogramQuery,
    responses: { "200": { description: "The buckets", name: "Histogram" }, "400": bad },
  },
  {
    method: "get",
    path: "/api/logs/{id}",
    summary: "Get a log entry",
    tag: "logs",
    auth: true,
    responses: { "200": logReply("The log entry"), "404": missing },
  },
  {
    method: "post",
    path: "/api/logs/{id}/redeliver",
    summary: "Deliver a webhook firing again (a new attempt series for the same entry)",
    tag: "logs",
    auth: true,
    responses: {
      "202": logReply("The log entry, now pending"),
      "404": missing,
      "409": problem("The firing had no webhook"),
    },
  },
  {
    method: "get",
    path: "/api/logs/stats",
    summary: "Active and archived log entries, in total and per trigger (or of one: ?trigger=)",
    tag: "logs",
    auth: true,
    query: LogStatsQuery,
    responses: { "200": { description: "Counts", name: "LogStats" }, "400": bad },
  },
  {
    method: "get",
    path: "/api/events",
    summary: "Live firings as Server-Sent Events: one `fired` event (data = log entry) each",
    tag: "events",
    auth: true,
    responses: {
      "200": { description: "An event stream", contentType: "text/event-stream" },
      "400": problem("Invalid Last-Event-ID or query"),
      "503": problem("Every event stream of this instance is taken (--max-event-streams)"),
    },
  },
  {
    method: "get",
    path: "/healthz",
    summary: "Health: KV reachable, scheduler state",
    tag: "operations",
    auth: false,
    responses: {
      "200": { description: "Healthy", name: "Health" },
      "503": { description: "KV is unusable", name: "Health" },
    },
  },
  {
    method: "get",
    path: "/metrics",
    summary: "Prometheus metrics (text format 0.0.4)",
    tag: "operations",
    auth: true,
    responses: { "200": { description: "Metrics", contentType: "text/plain" } },
  },
  {
    method: "get",
    path: "/openapi.json",
    summary: "This document",
    tag: "operations",
    auth: false,
    responses: { "200": { description: "OpenAPI 3.1", schema: z.looseObject({}) } },
  },
  {
    method: "get",
    path: "/docs",
    summary: "This document, rendered",
    tag: "operations",
    auth: false,
    responses: { "200": { description: "HTML", contentType: "text/html" } },
  },
  {
    method: "get",
    path: "/",
    summary: "The web UI",
    tag: "operations",
    auth: false,
    responses: { "200": { description: "HTML", contentType: "text/html" } },
  },
  {
    method: "get",
    path: "/static/{file}",
    summary: "The web UI's modules, styles and images (ETag; 304 on If-None-Match)",
    tag: "operations",
    auth: false,
    responses: { "200": { description: "A file" }, "404": problem("No such file") },
  },
  ...["docs.js", "docs.css"].map((file): TockRoute => ({
    method: "get",
    path: `/docs/${file}`,
    summary: "The docs page's script and styles",
    tag: "operations",
    auth: false,
    responses: { "200": { description: "A file" } },
  })),
  ...REFERENCE_ROUTES,
];

/**
 * The answers every route shares, by what it does: the key (401), cross-site and write limits
 * for unsafe methods (403, 429), and the body checks where a body is read (408, 413, 415).
 * The reference API answers them as `{ error }`.
 */
function withShared(r: TockRoute): RouteSpec {
  const err = r.tag === "reference" ? legacyError : problem;
  const shared: Record<string, Reply> = {};
  if (r.auth) shared["401"] = err("Missing or wrong API key");
  if (r.method !== "get") {
    shared["403"] = err("A browser request from another origin (see --cors-origin)");
    shared["429"] = err("Over a per-client limit (writes, or failed keys); see Retry-After");
  }
  if (r.body) {
    shared["408"] = err("The body stalled for --body-timeout");
    shared["413"] = err("The body is larger than --max-payload");
    shared["415"] = err("The body is not application/json");
  }
  if (r.auth && r.method === "get") {
    shared["429"] = err("Over the limit of failed keys from this client; see Retry-After");
  }
  return { ...r, responses: { ...r.responses, ...shared } };
}

/** Every route Tock registers, with the answers they share. */
export const ROUTES: RouteSpec[] = TABLE.map(withShared);

/** The document's title, description and tag order. */
export const INFO: DocumentInfo = {
  title: "Tock",
  version: "1",
  description: "Event triggers on Deno: scheduled and API triggers, execution logs, webhooks. " +
    "With an API key configured, send `Authorization: Bearer <key>`.",
  tags: [
    { name: "triggers" },
    { name: "logs" },
    { name: "test" },
    { name: "events" },
    { name: "operations" },
    { name: "reference", description: "The reference design's endpoints, kept for old clients" },
  ],
};
