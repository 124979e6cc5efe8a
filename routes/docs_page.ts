/**
 * The `/docs` page: a small self-written renderer for `/openapi.json` (no CDN, no build step).
 * Kept as strings in a module so `deno compile` embeds it with the code.
 */

export const DOCS_HTML = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Tock API</title>
<link rel="icon" href="/static/favicon.svg" type="image/svg+xml">
<link rel="stylesheet" href="/docs/docs.css">
<script type="module" src="/docs/docs.js"></script>
</head>
<body>
<header><h1>Tock API</h1><p id="intro">Loading <a href="/openapi.json">/openapi.json</a>…</p>
<input id="filter" type="search" placeholder="Filter by path or summary" aria-label="Filter">
</header>
<main id="ops"></main>
</body>
</html>
`;

export const DOCS_CSS = `
:root { color-scheme: light dark; --muted: #6b7280; --line: #d1d5db55; }
body { font: 15px/1.5 system-ui, sans-serif; max-width: 72rem; margin: 0 auto; padding: 1rem; }
header h1 { margin: 0 0 .25rem; }
#filter { width: 100%; padding: .4rem .6rem; margin: .5rem 0 1rem; font: inherit; }
h2 { text-transform: capitalize; border-bottom: 1px solid var(--line); padding-bottom: .25rem; }
details { border: 1px solid var(--line); border-radius: 6px; margin: .4rem 0; }
summary { cursor: pointer; padding: .4rem .6rem; display: flex; gap: .6rem; align-items: baseline; }
summary code { font-weight: 600; }
.m { display: inline-block; min-width: 4.2rem; text-align: center; border-radius: 4px;
  font: 600 12px/1.8 ui-monospace, monospace; color: #fff; text-transform: uppercase; }
.get { background: #2563eb; } .post { background: #16a34a; } .patch { background: #d97706; }
.delete { background: #dc2626; }
.lock { color: var(--muted); font-size: 12px; margin-left: auto; }
.body { padding: 0 .8rem .6rem; }
table { border-collapse: collapse; width: 100%; margin: .3rem 0; }
td, th { text-align: left; border-top: 1px solid var(--line); padding: .2rem .4rem; vertical-align: top; }
.muted { color: var(--muted); }
pre { overflow: auto; background: #8881; padding: .5rem; border-radius: 4px; font-size: 13px; }
ul.schema { list-style: none; padding-left: 1rem; margin: .2rem 0; }
ul.schema > li { margin: .1rem 0; }
.req { color: #dc2626; }
`;

export const DOCS_JS = `
const el = (tag, attrs = {}, ...kids) => {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (k === "class") e.className = v; else e.setAttribute(k, v);
  }
  for (const k of kids.flat()) if (k != null) e.append(k instanceof Node ? k : String(k));
  return e;
};

let doc;
const resolve = (s) => {
  let seen = 0;
  while (s && s.$ref && seen++ < 20) {
    const name = s.$ref.replace("#/components/schemas/", "");
    s = { ...doc.components.schemas[name], $name: name, description: s.description };
  }
  return s || {};
};

/** anyOf/oneOf flattened: nested unions (a nullable union) become one list of branches. */
const branchesOf = (s) => {
  s = resolve(s);
  const b = s.anyOf || s.oneOf;
  return b ? b.flatMap(branchesOf) : [s];
};

/** Text with \`code\` spans (descriptions are CommonMark; this is the part they use). */
const md = (text) => String(text).split("\`").map((part, i) => i % 2 ? el("code", {}, part) : part);

function typeOf(s) {
  s = resolve(s);
  if (s.$name === "JsonValue") return "any JSON";
  if (s.enum) return s.enum.map((v) => JSON.stringify(v)).join(" | ");
  if (s.anyOf || s.oneOf) return (s.anyOf || s.oneOf).map(typeOf).join(" | ");
  if (s.type === "array") return typeOf(s.items || {}) + "[]";
  const t = Array.isArray(s.type) ? s.type.join(" | ") : s.type || (s.properties ? "object" : "any");
  return s.format ? t + " (" + s.format + ")" : t;
}

function constraints(s) {
  s = resolve(s);
  const out = [];
  for (const k of ["minimum", "exclusiveMinimum", "maximum", "minLength", "maxLength"]) {
    if (s[k] !== undefined) out.push(k + " " + s[k]);
  }
  if (s.default !== undefined) out.push("default " + JSON.stringify(s.default));
  if (s.additionalProperties === false) out.push("no other fields");
  return out.join(", ");
}

function schemaTree(s, depth = 0) {
  s = resolve(s);
  if (depth > 6) return el("span", { class: "muted" }, "…");
  const branches = s.anyOf || s.oneOf ? branchesOf(s) : null;
  if (branches && branches.some((b) => b.properties)) {
    return el("ul", { class: "schema" }, branches.map((b, i) =>
      el("li", {}, el("span", { class: "muted" }, i ? "or " : "one of "), schemaTree(b, depth + 1))));
  }
  if (s.type === "array" && resolve(s.items).properties) {
    return el("span", {}, "array of ", schemaTree(s.items, depth + 1));
  }
  if (!s.properties) {
    return el("span", {}, el("code", {}, typeOf(s)), " ",
      el("span", { class: "muted" }, [constraints(s), s.description].filter(Boolean).join("; ")));
  }
  const req = new Set(s.required || []);
  return el("ul", { class: "schema" }, Object.entries(s.properties).map(([name, p]) => {
    const rp = resolve(p);
    const nested = rp.properties || branchesOf(rp).some((b) => b.properties) ||
      (rp.type === "array" && resolve(rp.items).properties);
    return el("li", {},
      el("code", {}, name), req.has(name) ? el("span", { class: "req", title: "required" }, " *") : null,
      ": ", nested ? schemaTree(p, depth + 1) : el("span", {}, el("code", {}, typeOf(p)), " ",
        el("span", { class: "muted" },
          [constraints(p), rp.description].filter(Boolean).join("; "))));
  }));
}

function operation(path, method, op) {
  const body = el("div", { class: "body" });
  if (op.parameters?.length) {
    body.append(el("h4", {}, "Parameters"), el("table", {},
      el("tr", {}, el("th", {}, "name"), el("th", {}, "in"), el("th", {}, "type"), el("th", {}, "notes")),
      op.parameters.map((p) => el("tr", {},
        el("td", {}, el("code", {}, p.name), p.required ? el("span", { class: "req" }, " *") : null),
        el("td", {}, p.in), el("td", {}, el("code", {}, typeOf(p.schema))),
        el("td", { class: "muted" }, [constraints(p.schema), p.description].filter(Boolean).join("; "))))));
  }
  if (op.requestBody) {
    const [type, media] = Object.entries(op.requestBody.content)[0];
    body.append(el("h4", {}, "Body ", el("span", { class: "muted" },
      type + (op.requestBody.required ? "" : ", optional"))), schemaTree(media.schema));
  }
  body.append(el("h4", {}, "Responses"), el("table", {}, Object.entries(op.responses).map(([code, r]) => {
    const media = r.content && Object.entries(r.content)[0];
    const schema = media && media[1].schema;
    return el("tr", {}, el("td", {}, el("code", {}, code)),
      el("td", {}, md(r.description), media ? el("span", { class: "muted" }, " (" + media[0] + ")") : null,
        schema ? el("details", {}, el("summary", {}, "schema"), schemaTree(schema)) : null));
  })));
  const locked = op.security && op.security.length > 0;
  return el("details", { "data-search": (path + " " + op.summary).toLowerCase() },
    el("summary", {}, el("span", { class: "m " + method }, method), el("code", {}, path),
      el("span", {}, md(op.summary)), el("span", { class: "lock" }, locked ? "API key" : "open")),
    body);
}

async function main() {
  const res = await fetch("/openapi.json");
  doc = await res.json();
  document.getElementById("intro").replaceChildren(...md(doc.info.description));
  const main = document.getElementById("ops");
  for (const tag of doc.tags) {
    const ops = [];
    for (const [path, item] of Object.entries(doc.paths)) {
      for (const [method, op] of Object.entries(item)) {
        if (op.tags.includes(tag.name)) ops.push(operation(path, method, op));
      }
    }
    if (ops.length) {
      main.append(el("section", {}, el("h2", {}, tag.name),
        tag.description ? el("p", { class: "muted" }, tag.description) : null, ops));
    }
  }
  document.getElementById("filter").addEventListener("input", (e) => {
    const q = e.target.value.toLowerCase();
    for (const d of main.querySelectorAll("details[data-search]")) {
      d.hidden = q !== "" && !d.dataset.search.includes(q);
    }
  });
}

main().catch((err) => {
  document.getElementById("intro").textContent = "Could not load /openapi.json: " + err.message;
});
`;
