// @ts-check
// Said plainly while the live stream is down: what is on screen may be out of date.
import { markup } from "../markup.js";
import { timeOfDay } from "../format.js";

/** @param {{ since: number }} props the instant the stream dropped, in ms */
export function StaleBanner({ since }) {
  return markup`
    <div class="stale-banner" role="alert">
      <strong>Not live.</strong> Tock cannot be reached since ${
    timeOfDay(new Date(since).toISOString())
  }: what you see may be out of date, and countdowns show fixed times. Reconnecting…
    </div>
  `;
}
