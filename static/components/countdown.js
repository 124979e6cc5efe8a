// @ts-check
// A time that keeps itself current: "in 4 min 09 s", "12 s ago". While the live stream is down
// the data behind it may be stale, so it stops counting and shows the plain date and time.
import { markup } from "../markup.js";
import { useNow, useStale } from "../live.js";
import { dateTime, relative } from "../format.js";

/** @param {{ at: string | null | undefined, empty?: string }} props */
export function Countdown({ at, empty = "—" }) {
  const now = useNow();
  const stale = useStale();
  if (!at) return markup`<span class="muted">${empty}</span>`;
  if (stale) return markup`<time datetime=${at} class="stale">${dateTime(at)}</time>`;
  return markup`<time datetime=${at} title=${dateTime(at)}>${relative(at, now)}</time>`;
}
