/** Typed errors thrown anywhere in Tock and mapped to HTTP once, in `app.onError`. */
import { z } from "zod";

/** One field-level problem: a dotted path (`schedule.cron`) and a message. */
export interface FieldError {
  path: string;
  message: string;
}

/** Base class: carries the HTTP status, the RFC 9457 title and any response headers it needs. */
export class TockError extends Error {
  /** Headers the answer must carry (`Retry-After`, `WWW-Authenticate`). */
  readonly headers: Record<string, string> = {};
  constructor(
    readonly status: number,
    readonly title: string,
    detail: string,
    readonly errors?: FieldError[],
  ) {
    super(detail);
    this.name = new.target.name;
  }
}

/** 400: the request does not fit the contract. */
export class ValidationError extends TockError {
  constructor(detail: string, errors?: FieldError[]) {
    super(400, "Invalid request", detail, errors);
  }
}

/** 404: no such trigger or log entry. */
export class NotFoundError extends TockError {
  constructor(detail: string) {
    super(404, "Not found", detail);
  }
}

/** 409: a name clash or a concurrent change that lost. */
export class ConflictError extends TockError {
  constructor(detail: string) {
    super(409, "Conflict", detail);
  }
}

/** 413: the body (or a stored value) is larger than allowed. */
export class PayloadTooLargeError extends TockError {
  constructor(detail: string) {
    super(413, "Payload too large", detail);
  }
}

/** 422: a fire-time payload that fails the trigger's payload schema. */
export class UnprocessableError extends TockError {
  constructor(detail: string, errors?: FieldError[]) {
    super(422, "Payload does not match the trigger's schema", detail, errors);
  }
}

/** 401: missing or wrong API key; `challenge` is the `WWW-Authenticate` value. */
export class UnauthorizedError extends TockError {
  constructor(detail: string, challenge = 'Bearer realm="tock"') {
    super(401, "Unauthorized", detail);
    this.headers["WWW-Authenticate"] = challenge;
  }
}

/** 403: a cross-site request or a Host the server does not answer to. */
export class ForbiddenError extends TockError {
  constructor(detail: string) {
    super(403, "Forbidden", detail);
  }
}

/** 408: the client stopped sending its body. */
export class RequestTimeoutError extends TockError {
  constructor(detail: string) {
    super(408, "Request timeout", detail);
  }
}

/** 415: a body that is not JSON where JSON is read. */
export class UnsupportedMediaTypeError extends TockError {
  constructor(detail: string) {
    super(415, "Unsupported media type", detail);
  }
}

/** 429: a client over its rate limit. */
export class RateLimitError extends TockError {
  constructor(detail: string, readonly retryAfterSeconds: number) {
    super(429, "Too many requests", detail);
    this.headers["Retry-After"] = String(retryAfterSeconds);
  }
}

/** 503: a dependency (KV) is unusable right now, or a bounded resource is full. */
export class UnavailableError extends TockError {
  constructor(detail: string, retryAfterSeconds?: number) {
    super(503, "Service unavailable", detail);
    if (retryAfterSeconds !== undefined) this.headers["Retry-After"] = String(retryAfterSeconds);
  }
}

/** The media type of every problem answer. */
export const PROBLEM_TYPE = "application/problem+json";

/** An RFC 9457 problem body: the one declaration, also what /openapi.json describes. */
export const ProblemSchema = z.object({
  type: z.string(),
  title: z.string(),
  status: z.int(),
  detail: z.string(),
  errors: z.array(z.object({ path: z.string(), message: z.string() })).optional(),
});
export type Problem = z.infer<typeof ProblemSchema>;

/** The RFC 9457 body for an error. */
export function toProblem(err: TockError): Problem {
  const body: Problem = {
    type: `https://tock.dev/problems/${err.status}`,
    title: err.title,
    status: err.status,
    detail: err.message,
  };
  if (err.errors?.length) body.errors = err.errors;
  return body;
}

/**
 * The one builder of problem answers (onError, notFound, static files): the body of `err`
 * with its headers, as `application/problem+json`.
 */
export function problemResponse(err: TockError): Response {
  const headers = new Headers(err.headers);
  headers.set("content-type", PROBLEM_TYPE);
  return new Response(JSON.stringify(toProblem(err)), { status: err.status, headers });
}

/** What an unexpected error answers: no internals leak to the client. */
export class InternalError extends TockError {
  constructor() {
    super(500, "Internal Server Error", "Unexpected error");
  }
}

/** 508: a fire request that arrived through too many webhook hops (a delivery loop). */
export class LoopDetectedError extends TockError {
  constructor(detail: string) {
    super(508, "Loop detected", detail);
  }
}
