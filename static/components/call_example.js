// @ts-check
// How to fire an api trigger from a shell: a ready-to-copy curl call.
import { useState } from "preact/hooks";
import { markup } from "../markup.js";
import { curlFor } from "../format.js";
import { hasKey } from "../api.js";

/** @param {{ trigger: import("../api.js").Trigger }} props */
export function CallExample({ trigger }) {
  const [copied, setCopied] = useState(false);
  const command = curlFor(location.origin, trigger.id, hasKey());
  const copy = async () => {
    try {
      await navigator.clipboard.writeText(command);
      setCopied(true);
    } catch {
      // No clipboard (plain http on another host): the text is selectable in the <pre>.
      setCopied(false);
    }
  };
  return markup`
    <details class="call">
      <summary>How to call</summary>
      <pre class="curl" aria-label=${`curl call for ${trigger.name}`}>${command}</pre>
      <button type="button" class="small" onClick=${copy}>${copied ? "Copied" : "Copy"}</button>
    </details>
  `;
}
