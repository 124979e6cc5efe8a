// @ts-check
// htm bound to Preact's h: tagged templates instead of a JSX build step.
// The tag is not called `html` on purpose: `deno fmt` reformats html`` templates as HTML and
// breaks htm's syntax (`<//>`, arrow functions inside attributes).
import { h } from "preact";
import htm from "htm";

// htm's types are written as CommonJS, so a type checker sees the default export one level
// down; the browser loads the ES module, whose default export is htm itself.
const bindable = /** @type {typeof import("htm").default} */ (
  /** @type {unknown} */ (htm)
);

/** A template with one root is a VNode; with several, an array of them. */
export const markup = bindable.bind(h);
