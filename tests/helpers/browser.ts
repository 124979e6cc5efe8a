import { type Browser, chromium, type Page } from "playwright-core";

/** Where the e2e tests expect Debian's `chromium`; `TOCK_CHROMIUM` overrides it. */
export const CHROMIUM_PATH = Deno.env.get("TOCK_CHROMIUM") ?? "/usr/bin/chromium";

/** Flags for a quiet, offline, CI-friendly headless Chromium. */
const ARGS = [
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
  "--no-first-run",
];

/** True when the Chromium binary exists (the e2e tests skip, or fail if required, when not). */
export function chromiumAvailable(): boolean {
  try {
    return Deno.statSync(CHROMIUM_PATH).isFile;
  } catch {
    return false;
  }
}

/** Launch headless Chromium with a fresh profile. */
export async function launchBrowser(): Promise<Browser> {
  return await chromium.launch({ executablePath: CHROMIUM_PATH, args: ARGS, headless: true });
}

/** What went wrong inside a page: uncaught errors, console errors, failed requests. */
export interface PageProblems {
  errors: string[];
}

/**
 * Record a page's uncaught exceptions and console errors so a test can assert there were none.
 * Aborted requests (the SSE stream when a page closes or navigates) are not problems.
 */
export function watchProblems(page: Page): PageProblems {
  const problems: PageProblems = { errors: [] };
  page.on("pageerror", (err) => problems.errors.push(`pageerror: ${err.message}`));
  page.on("console", (msg) => {
    if (msg.type() === "error") problems.errors.push(`console: ${msg.text()}`);
  });
  return problems;
}
