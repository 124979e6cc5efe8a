/**
 * `GET /openapi.json`: an OpenAPI 3.1 document built from one route table and the zod schemas
 * the routes validate with (`z.toJSONSchema`), so the description cannot drift from the checks.
 * Request schemas are converted as input (what a client may send: defaults optional), response
 * schemas as output.
 */
import { Hono } from "hono";
import { z } from "zod";
import {
  LogEntry,
  LogListQuery,
  Page,
  PreviewQuery,
  TestRequest,
  Trigger,
  TriggerCreate,
  TriggerListQuery,
  TriggerPatch,
} from "../schemas.ts";
// Issue 14: search, bulk, histogram.
import {
  BulkRequest,
  BulkResult,
  Histogram,
  HistogramQuery,
  TriggerPage as TriggerPageSchema,
} from "../schemas.ts";
import { LegacyRemoveBody, LegacyScheduleBody } from "./legacy.ts";

type Method = "get" | "post" | "patch" | "delete";
type Io = "input" | "output";

interface Body {
  name: string;
  schema: z.ZodType;
  required: boolean;
  description?: string;
}

interface Reply {
  description: string;
  /** A named component (from `named`), or an inline zod schema. */
  schema?: z.ZodType;
  name?: string;
  contentType?: string;
}

/** One route of the HTTP contract (API.md). `path` uses OpenAPI's `{param}` syntax. */
export interface RouteSpec {
  method: Method;
  path: string;
  summary: string;
  tag: "triggers" | "logs" | "test" | "events" | "operations" | "reference";
  body?: Body;
  query?: z.ZodObject;
  /** Extra query parameters of routes that read them by hand (the reference endpoints). */
  queryParams?: { name: string; required: boolean; description: string }[];
  responses: Record<string, Reply>;
  /** False for the paths that stay open with an API key configured. */
  auth: boolean;
}

const anyJson = z.json().meta({ description: "Any JSON value" });
const Occurrences = z.object({ occurrences: z.array(z.iso.datetime()) });
const LogStats = z.object({
  active: z.int(),
  archived: z.int(),
  byTrigger: z.array(z.object({
    triggerId: z.string().nullable(),
    triggerName: z.string(),
    active: z.int(),
    archived: z.int(),
  })),
});
const TestResult = z.object({ log: LogEntry, occurrences: z.array(z.iso.datetime()) });
const Health = z.looseObject({
  ok: z.boolean(),
  kv: z.object({ ok: z.boolean(), latencyMs: z.number(), error: z.string().nullable() }),
});
const Problem = z.object({
  type: z.string(),
  title: z.string(),
  status: z.int(),
  detail: z.string(),
  errors: z.array(z.object({ path: z.string(), message: z.string() })).optional(),
});
const LegacyError = z.object({ error: z.string() });
/** /remove_trigger's body (the route parses the same shape). */
const LegacyTrigger = z.object({
  trigger_name: z.string(),
  trigger_type: z.enum(["scheduled", "api"]),
  schedule: z.string().nullable(),
  payload: z.json(),
  next_run_at: z.string().nullable(),
});
const LegacyLog = z.object({
  trigger_name: z.string(),
  executed_at: z.string(),
  source: z.string(),
  payload: z.json(),
  state: z.string(),
});

const problem = (description: string): Reply => ({
  description,
  name: "Problem",
  contentType: "application/problem+json",
});
const legacyError = (description: string): Reply => ({ description, name: "LegacyError" });
const triggerReply = (description: string): Reply => ({ description, name: "Trigger" });
const logReply = (description: string): Reply => ({ description, name: "LogEntry" });

/** Named component schemas and the direction each is converted in. */
const NAMED: Record<string, { schema: z.ZodType; io: Io }> = {
  TriggerCreate: { schema: TriggerCreate, io: "input" },
  TriggerPatch: { schema: TriggerPatch, io: "input" },
  TestRequest: { schema: TestRequest, io: "input" },
  LegacyScheduleBody: { schema: LegacyScheduleBody, io: "input" },
  LegacyRemoveBody: { schema: LegacyRemoveBody, io: "input" },
  Trigger: { schema: Trigger, io: "output" },
  TriggerPage: { schema: TriggerPageSchema, io: "output" },
  BulkRequest: { schema: BulkRequest, io: "input" },
  BulkResult: { schema: BulkResult, io: "output" },
  Histogram: { schema: Histogram, io: "output" },
  LogEntry: { schema: LogEntry, io: "output" },
  LogPage: { schema: Page(LogEntry), io: "output" },
  LogStats: { schema: LogStats, io: "output" },
  Occurrences: { schema: Occurrences, io: "output" },
  TestResult: { schema: TestResult, io: "output" },
  Health: { schema: Health, io: "output" },
  Problem: { schema: Problem, io: "output" },
  LegacyError: { schema: LegacyError, io: "output" },
};

const body = (name: keyof typeof NAMED, required = true, description?: string): Body => ({
  name,
  schema: NAMED[name].schema,
  required,
  description,
});

const bad = problem("The request does not fit the contract (field errors in `errors`)");
const missing = problem("No such trigger or log entry");
const tooLarge = problem("The body is larger than --max-payload");

/** Every route of API.md, in its order. */
export const ROUTES: RouteSpec[] = [
  {
    method: "post",
    path: "/api/triggers",
    summary: "Create a trigger",
    tag: "triggers",
    auth: true,
    body: body("TriggerCreate"),
    responses: {
      "201": triggerReply("The trigger as stored"),
      "400": bad,
      "409": problem("The name is taken"),
      "413": tooLarge,
    },
  },
  {
    method: "get",
    path: "/api/triggers",
    summary: "List triggers",
    tag: "triggers",
    auth: true,
    query: TriggerListQuery,
    responses: { "200": { description: "One page", name: "TriggerPage" }, "400": bad },
  },
  {
    method: "post",
    path: "/api/triggers/bulk",
    summary: "Pause, resume or delete the triggers given by ids or matching a filter (<= 10,000)",
    tag: "triggers",
    auth: true,
    body: body("BulkRequest"),
    responses: { "200": { description: "What changed", name: "BulkResult" }, "400": bad },
  },
  {
    method: "get",
    path: "/api/triggers/{id}",
    summary: "Get a trigger",
    tag: "triggers",
    auth: true,
    responses: { "200": triggerReply("The trigger"), "404": missing },
  },
  {
    method: "patch",
    path: "/api/triggers/{id}",
    summary: "Change a trigger (a schedule change reschedules at once)",
    tag: "triggers",
    auth: true,
    body: body("TriggerPatch"),
    responses: {
      "200": triggerReply("The trigger as now stored"),
      "400": bad,
      "404": missing,
      "409": problem("The new name is taken"),
      "413": tooLarge,
    },
  },
  {
    method: "delete",
    path: "/api/triggers/{id}",
    summary: "Delete a trigger (its logs stay until retention ends)",
    tag: "triggers",
    auth: true,
    responses: { "204": { description: "Deleted" }, "404": missing },
  },
  {
    method: "post",
    path: "/api/triggers/{id}/pause",
    summary: "Pause a trigger",
    tag: "triggers",
    auth: true,
    responses: { "200": triggerReply("The paused trigger"), "404": missing },
  },
  {
    method: "post",
    path: "/api/triggers/{id}/resume",
    summary: "Resume a trigger (the misfire policy applies to what was missed)",
    tag: "triggers",
    auth: true,
    responses: { "200": triggerReply("The active trigger"), "404": missing },
  },
  {
    method: "post",
    path: "/api/triggers/{id}/fire",
    summary: "Fire a trigger now; the body is the payload (default: the trigger's payload)",
    tag: "triggers",
    auth: true,
    body: { name: "Payload", schema: anyJson, required: false },
    responses: {
      "202": logReply("The log entry of the firing"),
      "404": missing,
      "413": tooLarge,
      "422": problem("The payload fails the trigger's payloadSchema"),
    },
  },
  {
    method: "get",
    path: "/api/triggers/{id}/preview",
    summary: "Next occurrences of a trigger",
    tag: "triggers",
    auth: true,
    query: PreviewQuery,
    responses: { "200": { description: "Occurrences", name: "Occurrences" }, "404": missing },
  },
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
      "413": tooLarge,
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
    summary: "Active and archived log entries, in total and per trigger",
    tag: "logs",
    auth: true,
    responses: { "200": { description: "Counts", name: "LogStats" } },
  },
  {
    method: "get",
    path: "/api/events",
    summary: "Live firings as Server-Sent Events: one `fired` event (data = log entry) each",
    tag: "events",
    auth: true,
    responses: { "200": { description: "An event stream", contentType: "text/event-stream" } },
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
    method: "post",
    path: "/schedule_trigger",
    summary: "Reference design: create a trigger",
    tag: "reference",
    auth: true,
    body: body("LegacyScheduleBody"),
    responses: {
      "200": {
        description: "Created",
        schema: z.object({ message: z.string(), trigger: LegacyTrigger }),
      },
      "400": legacyError("Invalid"),
      "409": legacyError("Name taken"),
    },
  },
  {
    method: "get",
    path: "/list_triggers",
    summary: "Reference design: every trigger",
    tag: "reference",
    auth: true,
    responses: { "200": { description: "Triggers", schema: z.array(LegacyTrigger) } },
  },
  {
    method: "post",
    path: "/remove_trigger",
    summary: "Reference design: delete a trigger by name",
    tag: "reference",
    auth: true,
    body: body("LegacyRemoveBody"),
    responses: {
      "200": { description: "Removed", schema: z.object({ message: z.string() }) },
      "404": legacyError("No such trigger"),
    },
  },
  {
    method: "post",
    path: "/trigger_api",
    summary: "Reference design: fire a trigger by name; the body is the payload",
    tag: "reference",
    auth: true,
    queryParams: [{ name: "trigger_name", required: true, description: "The trigger's name" }],
    body: { name: "Payload", schema: anyJson, required: false },
    responses: {
      "200": {
        description: "Fired",
        schema: z.object({ message: z.string(), log: LegacyLog }),
      },
      "404": legacyError("No such trigger"),
    },
  },
  {
    method: "get",
    path: "/list_logs",
    summary: "Reference design: log entries, newest first",
    tag: "reference",
    auth: true,
    responses: { "200": { description: "Log entries", schema: z.array(LegacyLog) } },
  },
  {
    method: "post",
    path: "/test_trigger",
    summary: "Reference design: fire a definition once (after delay_seconds), saving nothing",
    tag: "reference",
    auth: true,
    body: body("LegacyScheduleBody"),
    responses: {
      "200": {
        description: "Fired",
        schema: z.object({ message: z.string(), log: LegacyLog.nullable() }),
      },
      "400": legacyError("Invalid"),
    },
  },
];

type Json = Record<string, unknown>;

/** The one shared definition zod emits here: the recursive JSON value of `z.json()`. */
const JSON_VALUE = "JsonValue";

/**
 * A zod schema as JSON Schema 2020-12 for use inside an OpenAPI document: `$schema` dropped and
 * local `$defs` (recursive JSON values) hoisted into `components.schemas`, one component per
 * distinct definition (`seen` maps a definition's text to its component name).
 */
export function toComponentSchema(
  schema: z.ZodType,
  io: Io,
  components: Record<string, Json>,
  seen: Map<string, string> = new Map(),
): Json {
  const js = z.toJSONSchema(schema, { io, unrepresentable: "any" }) as Json;
  delete js.$schema;
  const defs = (js.$defs ?? {}) as Record<string, Json>;
  delete js.$defs;
  const names = new Map<string, string>();
  for (const [local, def] of Object.entries(defs)) {
    const text = JSON.stringify(def);
    let name = seen.get(text);
    if (!name) {
      name = seen.size === 0 ? JSON_VALUE : `${JSON_VALUE}${seen.size + 1}`;
      seen.set(text, name);
    }
    names.set(local, name);
  }
  const rewrite = (node: unknown): unknown => {
    if (Array.isArray(node)) return node.map(rewrite);
    if (node === null || typeof node !== "object") return node;
    const out: Json = {};
    for (const [k, v] of Object.entries(node)) {
      out[k] = k === "$ref" && typeof v === "string" && v.startsWith("#/$defs/")
        ? `#/components/schemas/${names.get(v.slice("#/$defs/".length))}`
        : rewrite(v);
    }
    return out;
  };
  for (const [local, def] of Object.entries(defs)) {
    components[names.get(local)!] ??= rewrite(def) as Json;
  }
  return rewrite(js) as Json;
}

/** The OpenAPI 3.1 document for `routes` (default: every route of the contract). */
export function buildOpenApi(routes: RouteSpec[] = ROUTES): Json {
  const components: Record<string, Json> = {};
  const seen = new Map<string, string>();
  for (const [name, { schema, io }] of Object.entries(NAMED)) {
    components[name] = toComponentSchema(schema, io, components, seen);
  }
  const schemaOf = (s: z.ZodType, io: Io): Json => toComponentSchema(s, io, components, seen);
  const refOrInline = (name: string | undefined, s: z.ZodType | undefined, io: Io) =>
    name ? { $ref: `#/components/schemas/${name}` } : s ? schemaOf(s, io) : undefined;

  const paths: Record<string, Record<string, Json>> = {};
  for (const r of routes) {
    const op: Json = {
      operationId: `${r.method}${
        r.path.replace(/[{}]/g, "").replace(/[^A-Za-z0-9]+(.)?/g, (_m, ch: string | undefined) =>
          (ch ?? "").toUpperCase())
      }`,
      summary: r.summary,
      tags: [r.tag],
    };
    const params: Json[] = [];
    for (const m of r.path.matchAll(/\{(\w+)\}/g)) {
      params.push({ name: m[1], in: "path", required: true, schema: { type: "string" } });
    }
    if (r.query) {
      const js = schemaOf(r.query, "input");
      const props = (js.properties ?? {}) as Record<string, Json>;
      const required = new Set((js.required ?? []) as string[]);
      for (const [name, s] of Object.entries(props)) {
        params.push({ name, in: "query", required: required.has(name), schema: s });
      }
    }
    for (const q of r.queryParams ?? []) {
      params.push({ ...q, in: "query", schema: { type: "string" } });
    }
    if (params.length) op.parameters = params;
    if (r.body) {
      const named = r.body.name in NAMED;
      op.requestBody = {
        required: r.body.required,
        ...(r.body.description ? { description: r.body.description } : {}),
        content: {
          "application/json": {
            schema: refOrInline(named ? r.body.name : undefined, r.body.schema, "input"),
          },
        },
      };
    }
    const responses: Json = {};
    for (const [status, reply] of Object.entries(r.responses)) {
      const schema = refOrInline(reply.name, reply.schema, "output");
      const type = reply.contentType ?? "application/json";
      responses[status] = {
        description: reply.description,
        ...(schema || reply.contentType ? { content: { [type]: schema ? { schema } : {} } } : {}),
      };
    }
    if (r.auth) {
      responses["401"] = r.tag === "reference"
        ? legacyErrorResponse("Missing or wrong API key")
        : { description: "Missing or wrong API key", content: problemContent() };
      op.security = [{ bearer: [] }];
    } else {
      op.security = [];
    }
    if (r.method !== "get") {
      responses["429"] = { description: "Over the per-client write rate limit; see Retry-After" };
    }
    op.responses = responses;
    (paths[r.path] ??= {})[r.method] = op;
  }

  return {
    openapi: "3.1.0",
    jsonSchemaDialect: "https://json-schema.org/draft/2020-12/schema",
    info: {
      title: "Tock",
      version: "1",
      description:
        "Event triggers on Deno: scheduled and API triggers, execution logs, webhooks. " +
        "With an API key configured, send `Authorization: Bearer <key>`.",
    },
    tags: [
      { name: "triggers" },
      { name: "logs" },
      { name: "test" },
      { name: "events" },
      { name: "operations" },
      { name: "reference", description: "The reference design's endpoints, kept for old clients" },
    ],
    paths,
    components: {
      schemas: components,
      securitySchemes: { bearer: { type: "http", scheme: "bearer" } },
    },
  };
}

function problemContent(): Json {
  return { "application/problem+json": { schema: { $ref: "#/components/schemas/Problem" } } };
}

function legacyErrorResponse(description: string): Json {
  return {
    description,
    content: { "application/json": { schema: { $ref: "#/components/schemas/LegacyError" } } },
  };
}

export function openApiRoutes(): Hono {
  const app = new Hono();
  let cached: string | null = null;
  app.get("/openapi.json", (c) => {
    cached ??= JSON.stringify(buildOpenApi());
    return c.body(cached, 200, { "content-type": "application/json; charset=utf-8" });
  });
  return app;
}
