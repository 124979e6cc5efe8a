// Turning API problems into messages that sit next to the field they concern.
import { ApiError } from "./api.js";

/**
 * Split an error into `{ fields: { path: message }, general: [message] }`. Each `errors[].path`
 * goes to the longest known field path that prefixes it ("webhook.headers.X" -> "webhook.headers");
 * what matches no field, and the problem's own title, go to `general`.
 */
export function placeErrors(err, knownPaths) {
  const fields = {};
  const general = [];
  if (!(err instanceof ApiError)) {
    general.push(err?.message || String(err));
    return { fields, general };
  }
  for (const e of err.errors) {
    const path = Array.isArray(e.path) ? e.path.join(".") : String(e.path ?? "");
    const target = knownPaths
      .filter((p) => path === p || path.startsWith(p + ".") || path.startsWith(p + "/"))
      .sort((a, b) => b.length - a.length)[0];
    const message = e.message || "Invalid value";
    if (target) fields[target] = fields[target] ? `${fields[target]}; ${message}` : message;
    else general.push(path ? `${path}: ${message}` : message);
  }
  if (!err.errors.length) {
    // Problems without field details that still concern one field.
    if (err.status === 409 && knownPaths.includes("name")) fields.name = err.detail || err.title;
    else if (err.status === 413 && knownPaths.includes("payload")) {
      fields.payload = err.detail || err.title;
    } else general.push(problemText(err));
  } else if (!general.length && !Object.keys(fields).length) general.push(problemText(err));
  return { fields, general };
}

/** "Title: detail" without repeating a detail that equals the title. */
export function problemText(err) {
  if (!(err instanceof ApiError)) return err?.message || String(err);
  return err.detail && err.detail !== err.title ? `${err.title}: ${err.detail}` : err.title;
}
