// The UI's root: the hash route (#/triggers, #/logs), the live event stream, notices, key prompt.
import { render } from "preact";
import { useCallback, useEffect, useRef, useState } from "preact/hooks";
import { markup } from "./markup.js";
import { followEvents, forgetKey, setKeyPrompt, storedKey } from "./api.js";
import { problemText } from "./errors.js";
import { emitFired, emitResync } from "./live.js";
import { NavBar } from "./components/nav_bar.js";
import { TriggersView } from "./components/triggers_view.js";
import { LogsView } from "./components/logs_view.js";
import { ApiKeyPrompt } from "./components/api_key_prompt.js";
import { Notices } from "./components/notices.js";

const NOTICE_MS = 6000;
const viewOf = () => (location.hash.startsWith("#/logs") ? "logs" : "triggers");

function App() {
  const [view, setView] = useState(viewOf);
  const [live, setLive] = useState("connecting");
  const [prompt, setPrompt] = useState(null); // { rejected, resolve } while asking for a key
  const [hasKey, setHasKey] = useState(Boolean(storedKey()));
  const [notices, setNotices] = useState([]);
  const seq = useRef(0);
  // Registered during the first render, before any child's effect can meet a 401.
  useState(() =>
    setKeyPrompt((rejected) => new Promise((resolve) => setPrompt({ rejected, resolve })))
  );

  const dismiss = useCallback((id) => setNotices((ns) => ns.filter((n) => n.id !== id)), []);
  const notify = useCallback((text, kind = "info") => {
    const id = ++seq.current;
    setNotices((ns) => [...ns.slice(-3), { id, text, kind }]);
    setTimeout(() => dismiss(id), kind === "error" ? NOTICE_MS * 2 : NOTICE_MS);
  }, [dismiss]);

  useEffect(() => {
    const onHash = () => setView(viewOf());
    addEventListener("hashchange", onHash);
    return () => removeEventListener("hashchange", onHash);
  }, []);

  useEffect(() => {
    document.title = `${view === "logs" ? "Logs" : "Triggers"} · Tock`;
  }, [view]);

  useEffect(() => {
    const abort = new AbortController();
    let wasLive = false;
    const onStatus = (status) => {
      setLive(status);
      if (status === "live" && wasLive) emitResync();
      if (status === "live") wasLive = true;
    };
    followEvents({
      signal: abort.signal,
      onStatus,
      onEvent: (name, data) => name === "fired" && emitFired(data),
    }).catch((err) => {
      setLive("offline");
      notify(`Live updates stopped: ${problemText(err)}`, "error");
    });
    return () => abort.abort();
  }, []);

  const submitKey = (key) => {
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
    <${NavBar} view=${view} live=${live} hasKey=${hasKey} onForgetKey=${onForgetKey} />
    <main id="main" tabindex="-1">
      ${
    view === "logs"
      ? markup`<${LogsView} notify=${notify} />`
      : markup`<${TriggersView} notify=${notify} />`
  }
    </main>
    <${Notices} items=${notices} onDismiss=${dismiss} />
    ${prompt && markup`<${ApiKeyPrompt} rejected=${prompt.rejected} onSubmit=${submitKey} />`}
  `;
}

render(markup`<${App} />`, document.getElementById("app"));
