/** Typed errors thrown anywhere in Tock and mapped to HTTP once, in `app.onError`. */

/** One field-level problem: a dotted path (`schedule.cron`) and a message. */
export interface FieldError {
  path: string;
  message: string;
}

/** Base class: carries the HTTP status and the RFC 9457 title. */
export class TockError extends Error {
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

/** 401: missing or wrong API key. */
export class UnauthorizedError extends TockError {
  constructor(detail: string) {
    super(401, "Unauthorized", detail);
  }
}

/** 429: a client over its rate limit. */
export class RateLimitError extends TockError {
  constructor(detail: string, readonly retryAfterSeconds: number) {
    super(429, "Too many requests", detail);
  }
}

/** 503: a dependency (KV) is unusable right now. */
export class UnavailableError extends TockError {
  constructor(detail: string) {
    super(503, "Service unavailable", detail);
  }
}

/** The RFC 9457 body for an error. */
export function toProblem(err: TockError): Record<string, unknown> {
  const body: Record<string, unknown> = {
    type: `https://tock.dev/problems/${err.status}`,
    title: err.title,
    status: err.status,
    detail: err.message,
  };
  if (err.errors?.length) body.errors = err.errors;
  return body;
}

/** 508: a fire request that arrived through too many webhook hops (a delivery loop). */
export class LoopDetectedError extends TockError {
  constructor(detail: string) {
    super(508, "Loop detected", detail);
  }
}
