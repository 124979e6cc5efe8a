/**
 * Tock's version, read from deno.json's "version" so the number lives in one place; the CLI,
 * the server's `--version`, `/healthz` and the `tock_build_info` metric all print this.
 */
import denoJson from "../deno.json" with { type: "json" };

/** The release version, e.g. "0.2.0". */
export const VERSION: string = denoJson.version;
