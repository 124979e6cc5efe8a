// @ts-check
// Turning API problems into messages in plain words, next to the field they concern.
import { ApiError } from "./api.js";

/** @typedef {{ fields: Record<string, string>, general: string[] }} PlacedErrors */

/** @type {[RegExp, (m: RegExpExecArray) => string][]} */
const PLAIN = [
  [/^Too small: expected string to have >=1 characters?$/, () => "Required"],
  [/^Invalid input: expected \w+, received (undefined|null)$/, () => "Required"],
  [
    /^Too small: expected string to have >=(\d+) characters?$/,
    (m) => `At least ${m[1]} characters`,
  ],
  [/^Too big: expected string to have <=(\d+) characters?$/, (m) => `At most ${m[1]} characters`],
  [/^Too small: expected (?:number|int) to be >=?(\S+)$/, (m) => `Must be at least ${m[1]}`],
  [/^Too small: expected (?:number|int) to be >(\S+)$/, (m) => `Must be more than ${m[1]}`],
  [/^Too big: expected (?:number|int) to be <=?(\S+)$/, (m) => `Must be at most ${m[1]}`],
  [
    /^Too (?:small|big): expected array to have ([<>]=?)(\d+) items?$/,
    (m) => `${m[1].startsWith(">") ? "At least" : "At most"} ${m[2]} items`,
  ],
  [/^Invalid input: expected int, received number$/, () => "Enter a whole number"],
  [/^Invalid input: expected (?:number|int), received \w+$/, () => "Enter a number"],
  [/^Invalid input: expected string, received \w+$/, () => "Enter text"],
  [/^Invalid input: expected boolean, received \w+$/, () => "Choose yes or no"],
  [/^Invalid input: expected (?:record|object), received \w+$/, () => "Enter a JSON object"],
  [/^Invalid ISO datetime$/, () => "Enter a date and time"],
  [/^Invalid URL$/, () => "Enter a full URL, like https://example.com/hook"],
  [/^Invalid option: expected one of (.+)$/, (m) => `Choose one of ${m[1].replaceAll("|", ", ")}`],
  [/^Unrecognized keys?: (.+)$/, (m) => `Unknown field ${m[1]}`],
];

/**
 * A validator's message in plain words ("Too small: expected string to have >=1 characters" ->
 * "Required"); messages already written for people pass through.
 * @param {string} message
 */
export function plainMessage(message) {
  for (const [re, words] of PLAIN) {
    const m = re.exec(message);
    if (m) return words(m);
  }
  return message;
}

/**
 * Split an error into `{ fields: { path: message }, general: [message] }`. Each `errors[].path`
 * goes to the longest known field path that prefixes it ("webhook.headers.X" -> "webhook.headers");
 * what matches no field, and the problem's own title, go to `general`.
 * @param {unknown} err
 * @param {string[]} knownPaths
 * @returns {PlacedErrors}
 */
export function placeErrors(err, knownPaths) {
  /** @type {Record<string, string>} */
  const fields = {};
  /** @type {string[]} */
  const general = [];
  if (!(err instanceof ApiError)) {
    general.push(err instanceof Error ? err.message : String(err));
    return { fields, general };
  }
  for (const e of err.errors) {
    const path = Array.isArray(e.path) ? e.path.join(".") : String(e.path ?? "");
    const target = knownPaths
      .filter((p) => path === p || path.startsWith(p + ".") || path.startsWith(p + "/"))
      .sort((a, b) => b.length - a.length)[0];
    const message = plainMessage(e.message || "Invalid value");
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

/**
 * "Title: detail" without repeating a detail that equals the title.
 * @param {unknown} err
 */
export function problemText(err) {
  if (!(err instanceof ApiError)) return err instanceof Error ? err.message : String(err);
  return err.detail && err.detail !== err.title ? `${err.title}: ${err.detail}` : err.title;
}
