// A time that keeps itself current: "in 4 min 09 s", "12 s ago".
import { markup } from "../markup.js";
import { useNow } from "../live.js";
import { dateTime, relative } from "../format.js";

export function Countdown({ at, empty = "—" }) {
  const now = useNow();
  if (!at) return markup`<span class="muted">${empty}</span>`;
  return markup`<time datetime=${at} title=${dateTime(at)}>${relative(at, now)}</time>`;
}
