// @ts-check
// The inputs of one schedule form (at, delaySeconds, everySeconds, cron + timezone) and bounds.
import { markup } from "../markup.js";
import { SCHEDULE_KINDS } from "../trigger_model.js";
import { Field } from "./field.js";

/** @type {string[] | null} */
let zones = null;
function timeZones() {
  if (!zones) {
    try {
      zones = ["UTC", ...Intl.supportedValuesOf("timeZone").filter((z) => z !== "UTC")];
    } catch {
      zones = ["UTC"];
    }
  }
  return zones;
}

/** @typedef {import("../trigger_model.js").FormState} FormState */
/** @typedef {"everySeconds" | "delaySeconds" | "at" | "cron" | "timezone" | "startAt" | "endAt" | "maxRuns"} TextKey */

/**
 * @param {{
 *   form: FormState, set: (patch: Partial<FormState>) => void,
 *   errors: Record<string, string | undefined>,
 * }} props
 */
export function ScheduleFields({ form, set, errors }) {
  /** @param {TextKey} key */
  const bind = (key) => ({
    value: form[key],
    onInput: (/** @type {Event & { currentTarget: HTMLInputElement }} */ e) =>
      set({ [key]: e.currentTarget.value }),
  });
  /** @param {"kind" | "misfire"} key */
  const choose = (key) => (/** @type {Event & { currentTarget: HTMLSelectElement }} */ e) =>
    set({ [key]: e.currentTarget.value });
  const seconds = { type: "number", min: "1", step: "1", inputmode: "numeric" };
  const recurring = form.kind === "everySeconds" || form.kind === "cron";
  return markup`
    <fieldset class="group">
      <legend>Schedule</legend>
      <${Field} id="f-kind" label="Runs" error=${errors.schedule}>
        <select value=${form.kind} onChange=${choose("kind")}>
          ${SCHEDULE_KINDS.map(([v, l]) => markup`<option value=${v}>${l}</option>`)}
        </select>
      <//>
      ${
    form.kind === "everySeconds" && markup`
        <${Field} id="f-every" label="Every (seconds)" error=${errors["schedule.everySeconds"]}>
          <input required ...${seconds} ...${bind("everySeconds")} />
        <//>
      `
  }
      ${
    form.kind === "delaySeconds" && markup`
        <${Field} id="f-delay" label="Delay (seconds)" hint="Counted from saving"
          error=${errors["schedule.delaySeconds"]}>
          <input required ...${seconds} ...${bind("delaySeconds")} />
        <//>
      `
  }
      ${
    form.kind === "at" && markup`
        <${Field} id="f-at" label="At (your local time)" error=${errors["schedule.at"]}>
          <input type="datetime-local" step="1" required ...${bind("at")} />
        <//>
      `
  }
      ${
    form.kind === "cron" && markup`
        <div class="row">
          <${Field} id="f-cron" label="Cron expression" class="grow"
            hint="5 fields (minute hour day month weekday), or 6 with seconds first"
            error=${errors["schedule.cron"]}>
            <input type="text" required spellcheck="false" autocomplete="off" autocapitalize="off"
              placeholder="0 16 * * *" class="mono" ...${bind("cron")} />
          <//>
          <${Field} id="f-tz" label="Time zone" error=${errors["schedule.timezone"]}>
            <input type="text" list="tz-list" spellcheck="false" autocomplete="off"
              ...${bind("timezone")} />
          <//>
          <datalist id="tz-list">${
      timeZones().map((/** @type {string} */ z) => markup`<option value=${z} />`)
    }</datalist>
        </div>
      `
  }
      ${
    recurring && markup`
        <div class="row">
          <${Field} id="f-start" label="Start at (optional)" error=${errors["schedule.startAt"]}>
            <input type="datetime-local" step="1" ...${bind("startAt")} />
          <//>
          <${Field} id="f-end" label="End at (optional)" error=${errors["schedule.endAt"]}>
            <input type="datetime-local" step="1" ...${bind("endAt")} />
          <//>
          <${Field} id="f-max" label="Max runs (optional)" error=${errors["schedule.maxRuns"]}>
            <input ...${seconds} ...${bind("maxRuns")} />
          <//>
        </div>
      `
  }
      <${Field} id="f-misfire" label="After downtime" error=${errors.misfire}>
        <select value=${form.misfire} onChange=${choose("misfire")}>
          <option value="fire_once">Fire once to catch up</option>
          <option value="skip">Skip what was missed</option>
        </select>
      <//>
    </fieldset>
  `;
}
