// @ts-check
// Pure formatting helpers: schedules in words, durations, times. No DOM, no state.

const DAYS = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"];

/** @typedef {import("./api.js").Trigger} Trigger */

/**
 * "every 10 s", "every 5 min", "every 2 h".
 * @param {number} n seconds
 */
export function everyWords(n) {
  if (n % 86400 === 0) return n === 86400 ? "every day" : `every ${n / 86400} d`;
  if (n % 3600 === 0) return n === 3600 ? "every hour" : `every ${n / 3600} h`;
  if (n % 60 === 0) return n === 60 ? "every minute" : `every ${n / 60} min`;
  return `every ${n} s`;
}

/** @param {string | number} v */
const pad = (v) => String(v).padStart(2, "0");
/** @param {string} f */
const num = (f) => /^\d+$/.test(f);

/** @param {string} dow */
function dayWords(dow) {
  if (dow === "1-5") return "on weekdays";
  if (dow === "0,6" || dow === "6,0") return "on weekends";
  const parts = dow.split(",");
  if (parts.every((p) => /^[0-7]$/.test(p))) {
    return "on " + parts.map((p) => DAYS[Number(p) % 7]).join(", ");
  }
  return null;
}

/**
 * A cron expression in words where it is a common shape, else the expression itself.
 * @param {string} expr
 * @param {string} [timezone]
 */
export function cronWords(expr, timezone) {
  const tz = timezone || "UTC";
  const f = String(expr).trim().split(/\s+/);
  let sec = "0";
  if (f.length === 6) sec = f.shift() ?? "0";
  if (f.length !== 5) return `cron ${expr} (${tz})`;
  const [min, hour, dom, mon, dow] = f;
  const everyDay = dom === "*" && mon === "*";
  if (sec === "0" || sec === "00") {
    if (min === "*" && hour === "*" && everyDay && dow === "*") return "every minute";
    const step = /^\*\/(\d+)$/.exec(min);
    if (step && hour === "*" && everyDay && dow === "*") return everyWords(Number(step[1]) * 60);
    if (num(min) && hour === "*" && everyDay && dow === "*") return `hourly at :${pad(min)}`;
    if (num(min) && num(hour)) {
      const at = `at ${pad(hour)}:${pad(min)} ${tz}`;
      if (everyDay && dow === "*") return `${at} daily`;
      if (everyDay) {
        const days = dayWords(dow);
        if (days) return `${at} ${days}`;
      }
      if (num(dom) && mon === "*" && dow === "*") return `${at} on day ${dom} monthly`;
    }
  } else if (sec === "*" && min === "*" && hour === "*" && everyDay && dow === "*") {
    return "every second";
  } else {
    const step = /^\*\/(\d+)$/.exec(sec);
    if (step && min === "*" && hour === "*" && everyDay && dow === "*") {
      return everyWords(Number(step[1]));
    }
  }
  return `cron ${expr} (${tz})`;
}

/**
 * The startAt a person chose, or "" when the server filled it in (an everySeconds trigger stores
 * its implicit first run, created/updated + n, as startAt).
 * @param {Pick<Trigger, "schedule" | "createdAt" | "updatedAt">} trigger
 */
export function chosenStartAt(trigger) {
  const s = trigger.schedule;
  if (!s?.startAt) return "";
  if (s.everySeconds) {
    const start = Date.parse(s.startAt);
    const n = s.everySeconds * 1000;
    if (
      start === Date.parse(trigger.createdAt) + n || start === Date.parse(trigger.updatedAt) + n
    ) {
      return "";
    }
  }
  return s.startAt;
}

/**
 * The whole schedule of a trigger in words, bounds included.
 * @param {Pick<Trigger, "type" | "schedule" | "createdAt" | "updatedAt">} trigger
 */
export function scheduleWords(trigger) {
  const s = trigger.schedule;
  if (trigger.type === "api" || !s) return "on API call";
  let words;
  if (s.at) words = `once at ${dateTime(s.at)}`;
  else if (s.delaySeconds) words = `once, ${s.delaySeconds} s after creation`;
  else if (s.everySeconds) words = everyWords(s.everySeconds);
  else if (s.cron) words = cronWords(s.cron, s.timezone);
  else words = "unknown schedule";
  const bounds = [];
  const start = chosenStartAt(trigger);
  if (start && Date.parse(start) > Date.now()) bounds.push(`from ${dateTime(start)}`);
  if (s.endAt) bounds.push(`until ${dateTime(s.endAt)}`);
  if (s.maxRuns) bounds.push(`max ${s.maxRuns} runs`);
  return bounds.length ? `${words}, ${bounds.join(", ")}` : words;
}

/**
 * "2 h 05 min", "4 min 09 s", "12 s" for a positive number of milliseconds.
 * @param {number} ms
 */
export function duration(ms) {
  const s = Math.max(0, Math.round(ms / 1000));
  if (s < 60) return `${s} s`;
  if (s < 3600) return `${Math.floor(s / 60)} min ${pad(s % 60)} s`;
  if (s < 86400) return `${Math.floor(s / 3600)} h ${pad(Math.floor(s / 60) % 60)} min`;
  return `${Math.floor(s / 86400)} d ${Math.floor(s / 3600) % 24} h`;
}

/**
 * "in 4 min 09 s" / "12 s ago" / "now".
 * @param {string} iso
 * @param {number} now ms
 */
export function relative(iso, now) {
  const diff = Date.parse(iso) - now;
  if (Math.abs(diff) < 1000) return "now";
  return diff > 0 ? `in ${duration(diff)}` : `${duration(-diff)} ago`;
}

const dtf = new Intl.DateTimeFormat(undefined, {
  year: "numeric",
  month: "short",
  day: "numeric",
  hour: "2-digit",
  minute: "2-digit",
  second: "2-digit",
});
const tf = new Intl.DateTimeFormat(undefined, {
  hour: "2-digit",
  minute: "2-digit",
  second: "2-digit",
});

const sdtf = new Intl.DateTimeFormat(undefined, {
  month: "short",
  day: "numeric",
  hour: "2-digit",
  minute: "2-digit",
  second: "2-digit",
});

/**
 * A local date and time for people; the ISO string stays in `title` attributes.
 * @param {string | null | undefined} iso
 */
export function dateTime(iso) {
  return iso ? dtf.format(new Date(iso)) : "";
}

/**
 * A local time of day with seconds.
 * @param {string | null | undefined} iso
 */
export function timeOfDay(iso) {
  return iso ? tf.format(new Date(iso)) : "";
}

/**
 * Day and time without the year ("Nov 29, 10:30:05"): a log list spans at most days.
 * @param {string | null | undefined} iso
 */
export function shortDateTime(iso) {
  return iso ? sdtf.format(new Date(iso)) : "";
}

/**
 * Lateness in words: "3 ms late", "1.2 s late", "on time".
 * @param {number | null | undefined} ms
 */
export function lateness(ms) {
  if (ms === null || ms === undefined) return "";
  if (ms <= 0) return "on time";
  return ms < 1000 ? `${ms} ms late` : `${(ms / 1000).toFixed(1)} s late`;
}

/**
 * ISO (UTC) -> the value a `datetime-local` input shows, in the browser's zone.
 * @param {string | null | undefined} iso
 */
export function toLocalInput(iso) {
  if (!iso) return "";
  const d = new Date(iso);
  const off = d.getTimezoneOffset() * 60000;
  return new Date(d.getTime() - off).toISOString().slice(0, 19);
}

/**
 * A `datetime-local` value -> ISO (UTC), or "" when empty or not a date.
 * @param {string | null | undefined} value
 */
export function fromLocalInput(value) {
  if (!value) return "";
  const d = new Date(value);
  return Number.isNaN(d.getTime()) ? "" : d.toISOString();
}

const CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";

/**
 * The millisecond a ULID was made at (its first 10 characters). Log state and the time filters
 * count from this instant, so the UI ages rows by it too.
 * @param {string} id
 */
export function ulidTime(id) {
  let ms = 0;
  for (const c of id.slice(0, 10).toUpperCase()) ms = ms * 32 + CROCKFORD.indexOf(c);
  return ms;
}

/**
 * A ready-to-copy shell call that fires an api trigger; with auth on, the key header carries a
 * placeholder (the key itself never lands on screen).
 * @param {string} origin e.g. "http://127.0.0.1:8000"
 * @param {string} triggerId
 * @param {boolean} withKey
 */
export function curlFor(origin, triggerId, withKey) {
  const auth = withKey ? ` -H "authorization: Bearer $TOCK_API_KEY"` : "";
  return `curl -s -X POST ${origin}/api/triggers/${triggerId}/fire` +
    ` -H 'content-type: application/json'${auth} -d '{}'`;
}

/** @typedef {{ loading: boolean, occurrences: string[], message: string }} PreviewState */

/**
 * What a screen reader hears, once per change of the list (not per tick).
 * @param {PreviewState} state
 */
export function previewSummary(state) {
  if (state.loading) return "";
  if (state.message) return state.message;
  const n = state.occurrences.length;
  if (!n) return "No further occurrences";
  return `Next run ${dateTime(state.occurrences[0])}; ${n} occurrence${n === 1 ? "" : "s"} listed`;
}

/**
 * The CLI call that fires a trigger with a payload (shell-quoted; a `'` in the JSON is escaped).
 * @param {string} name
 * @param {unknown} payload
 */
export function cliFor(name, payload) {
  const quote = (/** @type {string} */ s) =>
    /^[A-Za-z0-9_.:/@-]+$/.test(s) ? s : `'${s.replaceAll("'", `'\\''`)}'`;
  const body = JSON.stringify(payload ?? {});
  return `tock triggers fire ${quote(name)} --payload ${quote(body)}`;
}
