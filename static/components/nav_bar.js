// @ts-check
// The top bar: the two views, the live connection, and the stored key.
import { markup } from "../markup.js";

/** @type {Record<string, string>} */
const LIVE_TEXT = { live: "Live", connecting: "Connecting…", offline: "Reconnecting…" };

/**
 * @param {{ view: string, live: string, hasKey: boolean, onForgetKey: () => void }} props
 */
export function NavBar({ view, live, hasKey, onForgetKey }) {
  /** @type {(id: string, label: string) => unknown} */
  const link = (id, label) =>
    markup`
    <a href=${`#/${id}`} aria-current=${view === id ? "page" : undefined}>${label}</a>
  `;
  return markup`
    <header class="top">
      <a class="skip" href="#main">Skip to content</a>
      <svg class="brand" viewBox="0 0 32 32" width="22" height="22" aria-hidden="true">
        <circle cx="16" cy="18" r="12" /><rect x="13" y="1" width="6" height="4" rx="1" />
        <path d="M16 10v8l5 3" />
      </svg>
      <span class="brand-name">Tock</span>
      <nav aria-label="Views">${link("triggers", "Triggers")}${link("logs", "Logs")}</nav>
      <span class=${`live live-${live}`} role="status" title="Live updates from /api/events">
        <span class="dot" aria-hidden="true"></span>${LIVE_TEXT[live] || live}
      </span>
      ${
    hasKey && markup`
        <button type="button" class="link small" onClick=${onForgetKey}>Forget key</button>
      `
  }
    </header>
  `;
}
