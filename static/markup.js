// htm bound to Preact's h: tagged templates instead of a JSX build step.
// The tag is not called `html` on purpose: `deno fmt` reformats html`` templates as HTML and
// breaks htm's syntax (`<//>`, arrow functions inside attributes).
import { h } from "preact";
import htm from "htm";

export const markup = htm.bind(h);
