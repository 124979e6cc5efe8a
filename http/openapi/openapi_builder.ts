/**
 * A generic OpenAPI 3.1 builder over zod: a route table in, a document out. Request schemas are
 * converted as input (what a client may send: defaults optional), response schemas as output,
 * with `z.toJSONSchema`, so the description cannot drift from the checks. Knows nothing of Tock.
 */
import { z } from "zod";

export type Method = "get" | "post" | "patch" | "delete";
export type Io = "input" | "output";
type Json = Record<string, unknown>;

/** A request body: a named component (`name` in the named schemas) or an inline schema. */
export interface Body {
  name: string;
  schema: z.ZodType;
  required: boolean;
  description?: string;
}

/** One response: a named component, an inline zod schema, or only a content type. */
export interface Reply {
  description: string;
  schema?: z.ZodType;
  name?: string;
  contentType?: string;
}

/** One route. `path` uses OpenAPI's `{param}` syntax. */
export interface RouteSpec {
  method: Method;
  path: string;
  summary: string;
  tag: string;
  body?: Body;
  query?: z.ZodObject;
  /** Extra query parameters of routes that read them by hand. */
  queryParams?: { name: string; required: boolean; description: string }[];
  responses: Record<string, Reply>;
  /** False for routes open without the bearer key. */
  auth: boolean;
}

/** A named component schema and the direction it is converted in. */
export interface NamedSchema {
  schema: z.ZodType;
  io: Io;
}

/** The document's `info` and `tags`. */
export interface DocumentInfo {
  title: string;
  version: string;
  description: string;
  tags: { name: string; description?: string }[];
}

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

/** The OpenAPI 3.1 document for `routes`, with `named` as `components.schemas`. */
export function buildOpenApi(
  routes: readonly RouteSpec[],
  named: Record<string, NamedSchema>,
  info: DocumentInfo,
): Json {
  const components: Record<string, Json> = {};
  const seen = new Map<string, string>();
  for (const [name, { schema, io }] of Object.entries(named)) {
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
      const isNamed = r.body.name in named;
      op.requestBody = {
        required: r.body.required,
        ...(r.body.description ? { description: r.body.description } : {}),
        content: {
          "application/json": {
            schema: refOrInline(isNamed ? r.body.name : undefined, r.body.schema, "input"),
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
    op.security = r.auth ? [{ bearer: [] }] : [];
    op.responses = responses;
    (paths[r.path] ??= {})[r.method] = op;
  }

  return {
    openapi: "3.1.0",
    jsonSchemaDialect: "https://json-schema.org/draft/2020-12/schema",
    info: { title: info.title, version: info.version, description: info.description },
    tags: info.tags,
    paths,
    components: {
      schemas: components,
      securitySchemes: { bearer: { type: "http", scheme: "bearer" } },
    },
  };
}
