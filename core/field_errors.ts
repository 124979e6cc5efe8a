/** zod errors as the API's field errors: dotted paths, and one schedule form, not all four. */
import type { z } from "zod";
import type { FieldError } from "./errors.ts";
import { SCHEDULE_FORMS } from "./schedule_schemas.ts";

/** Turns a zod error into field errors with dotted paths. */
export function fieldErrors(error: z.ZodError, prefix: (string | number)[] = []): FieldError[] {
  const out: FieldError[] = [];
  for (const issue of error.issues) out.push(...issueErrors(issue, prefix));
  return out;
}

type Issue = z.core.$ZodIssue;

function issueErrors(issue: Issue, prefix: (string | number)[]): FieldError[] {
  const path = [...prefix, ...issue.path.map((p) => (typeof p === "symbol" ? String(p) : p))];
  if (issue.code === "invalid_union" && issue.errors.length === SCHEDULE_FORMS.length) {
    // A schedule: report the branch the client meant (the form key it used), not all four.
    const branch = pickScheduleBranch(issue.errors);
    if (branch === null) {
      return [{
        path: dotted(path),
        message: `Expected exactly one of ${SCHEDULE_FORMS.join(", ")}`,
      }];
    }
    return issue.errors[branch].flatMap((i) => issueErrors(i, path));
  }
  if (issue.code === "invalid_key" && issue.issues.length) {
    return [{ path: dotted(path), message: issue.issues[0].message }];
  }
  if (issue.code === "unrecognized_keys") {
    return issue.keys.map((k) => ({ path: dotted([...path, k]), message: `Unknown field "${k}"` }));
  }
  return [{ path: dotted(path), message: issue.message }];
}

function pickScheduleBranch(branches: Issue[][]): number | null {
  // Each branch complains of the other forms' keys as unrecognised. The branch the client
  // meant is the one that does not; with no form key (or several) no branch stands out.
  const hits = branches.flatMap((issues, i) =>
    issues.some((x) =>
        x.code === "unrecognized_keys" && x.path.length === 0 &&
        x.keys.some((k) => (SCHEDULE_FORMS as readonly string[]).includes(k))
      )
      ? []
      : [i]
  );
  return hits.length === 1 ? hits[0] : null;
}

function dotted(path: (string | number)[]): string {
  return path.map(String).join(".");
}
