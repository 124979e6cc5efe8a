// @ts-check
// The UI's root: the hash route (#/triggers, #/triggers/<id>, #/logs), the live event stream,
// notices, key prompt.
import { render } from "preact";
import { useCallback, useEffect, useRef, useState } from "preact/hooks";
import { markup } from "./markup.js";
import { forgetKey, setKeyPrompt, storedKey } from "./api.js";
import { problemText } from "./errors.js";
import { emitFired, emitResync, emitTriggerChange, followEvents, setStale } from "./live.js";
import { routeOf } from "./trigger_query.js";
import { NavBar } from "./components/nav_bar.js";
import { TriggersView } from "./components/triggers_view.js";
import { LogsView } from "./components/logs_view.js";
import { TriggerPage } from "./components/trigger_page.js";
import { ApiKeyPrompt } from "./components/api_key_prompt.js";
import { Notices } from "./components/notices.js";
import { StaleBanner } from "./components/stale_banner.js";

/** @typedef {import("./components/notices.js").Notice} Notice */
/** @typedef {import("./live.js").LiveStatus} LiveStatus */

const NOTICE_MS = 6000;
const TITLES = { triggers: "Triggers", trigger: "Trigger", logs: "Logs" };
/** The route as a string key, so an unchanged route does not re-render the view. */
const routeKey = () => JSON.stringify(routeOf(location.hash));

function App() {
  const [key, setKey] = useState(routeKey);
  /** @type {import("./trigger_query.js").Route} */
  const route = JSON.parse(key);
  const [live, setLive] = useState(/** @type {LiveStatus} */ ("connecting"));
  // Since when the data on screen may be stale (the stream dropped), else null.
  const [staleSince, setStaleSince] = useState(/** @type {number | null} */ (null));
  const [prompt, setPrompt] = useState(
    /** @type {{ rejected: boolean, resolve: (key: string) => void } | null} */ (null),
  );
  const [hasKey, setHasKey] = useState(Boolean(storedKey()));
  const [notices, setNotices] = useState(/** @type {Notice[]} */ ([]));
  const seq = useRef(0);
  // Registered during the first render, before any child's effect can meet a 401.
  useState(() =>
    setKeyPrompt((rejected) => new Promise((resolve) => setPrompt({ rejected, resolve })))
  );

  const dismiss = useCallback(
    (/** @type {number} */ id) => setNotices((ns) => ns.filter((n) => n.id !== id)),
    [],
  );
  const notify = useCallback((/** @type {string} */ text, kind = "info") => {
    const id = ++seq.current;
    setNotices((ns) => [...ns.slice(-3), { id, text, kind }]);
    setTimeout(() => dismiss(id), kind === "error" ? NOTICE_MS * 2 : NOTICE_MS);
  }, [dismiss]);

  useEffect(() => {
    const onHash = () => setKey(routeKey());
    addEventListener("hashchange", onHash);
    return () => removeEventListener("hashchange", onHash);
  }, []);

  // The trigger page names its trigger in the title itself, once it is loaded.
  useEffect(() => {
    if (route.view !== "trigger") document.title = `${TITLES[route.view]} · Tock`;
  }, [key]);

  useEffect(() => {
    const abort = new AbortController();
    let wasLive = false;
    /** @param {LiveStatus} status */
    const onStatus = (status) => {
      setLive(status);
      if (status === "live" && wasLive) emitResync();
      if (status === "live") wasLive = true;
      // Stale from the first failure until the stream is live again (reconnect attempts
      // pass through "connecting" without making the data any fresher).
      const stale = status === "offline" || (wasLive && status !== "live");
      setStale(stale);
      setStaleSince((since) => (stale ? since ?? Date.now() : null));
    };
    followEvents({
      signal: abort.signal,
      onStatus,
      onEvent: (name, data) => {
        if (name === "fired") emitFired(data);
        else if (name === "trigger" && data?.trigger?.id) emitTriggerChange(data);
      },
    }).catch((err) => {
      setLive("offline");
      setStale(true);
      setStaleSince((since) => since ?? Date.now());
      notify(`Live updates stopped: ${problemText(err)}`, "error");
    });
    return () => abort.abort();
  }, []);

  /** @param {string} key */
  const submitKey = (key) => {
    if (!prompt) return;
    const { resolve } = prompt;
    setPrompt(null);
    setHasKey(true);
    resolve(key);
  };
  const onForgetKey = () => {
    forgetKey();
    location.reload();
  };

  return markup`
    <${NavBar} view=${
    route.view === "logs" ? "logs" : "triggers"
  } live=${live} hasKey=${hasKey} onForgetKey=${onForgetKey} />
    ${staleSince !== null && markup`<${StaleBanner} since=${staleSince} />`}
    <main id="main" tabindex="-1">
      ${
    route.view === "logs"
      ? markup`<${LogsView} notify=${notify} />`
      : route.view === "trigger"
      ? markup`<${TriggerPage} key=${route.id} id=${route.id} notify=${notify} />`
      : markup`<${TriggersView} notify=${notify} />`
  }
    </main>
    <${Notices} items=${notices} onDismiss=${dismiss} />
    ${prompt && markup`<${ApiKeyPrompt} rejected=${prompt.rejected} onSubmit=${submitKey} />`}
  `;
}

const root = document.getElementById("app");
if (root) render(/** @type {import("preact").VNode} */ (markup`<${App} />`), root);
