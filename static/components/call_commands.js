// @ts-check
// How to fire an api trigger from a shell, ready to copy: the curl call and the CLI call.
import { useState } from "preact/hooks";
import { markup } from "../markup.js";
import { cliFor, curlFor } from "../format.js";
import { hasKey } from "../api.js";

/** @param {{ label: string, id: string, command: string }} props */
function Command({ label, id, command }) {
  const [copied, setCopied] = useState(false);
  const copy = async () => {
    try {
      await navigator.clipboard.writeText(command);
      setCopied(true);
    } catch {
      setCopied(false); // no clipboard (plain http on another host): the text is selectable
    }
  };
  return markup`
    <div class="command">
      <h3 id=${`${id}-title`}>${label}</h3>
      <pre id=${id} aria-labelledby=${`${id}-title`}>${command}</pre>
      <button type="button" class="small" onClick=${copy}
        aria-label=${`Copy the ${label} call`}>${copied ? "Copied" : "Copy"}</button>
    </div>
  `;
}

/** @param {{ trigger: import("../api.js").Trigger }} props */
export function CallCommands({ trigger }) {
  return markup`
    <section class="card" aria-labelledby="call-title">
      <h2 id="call-title">How to call</h2>
      <${Command} label="curl" id="call-curl"
        command=${curlFor(location.origin, trigger.id, hasKey())} />
      <${Command} label="CLI" id="call-cli"
        command=${cliFor(trigger.name, trigger.payload ?? {})} />
    </section>
  `;
}
