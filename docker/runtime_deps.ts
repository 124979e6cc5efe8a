/**
 * A Docker build step: drops the named test-only imports from deno.json and their packages
 * from deno.lock (in the current directory), so `deno install --frozen` then fetches only what
 * the server runs. Deno installs every npm import of deno.json whatever the entrypoint, so the
 * manifest itself has to shrink; the lock keeps the integrity hashes of everything that stays.
 *
 *   deno run --no-config --allow-read=. --allow-write=. docker/runtime_deps.ts playwright-core
 */

interface DenoJson {
  imports?: Record<string, string>;
  [key: string]: unknown;
}

interface Lock {
  specifiers?: Record<string, string>;
  npm?: Record<string, { dependencies?: string[]; [key: string]: unknown }>;
  workspace?: { dependencies?: string[]; [key: string]: unknown };
  [key: string]: unknown;
}

/** The package name of `npm:name@1.2.3` or `npm:/name@1.2.3/sub` (scoped names too). */
function npmName(specifier: string): string | null {
  const m = /^npm:\/?((?:@[^/@]+\/)?[^/@]+)/.exec(specifier);
  return m ? m[1] : null;
}

/** The lock key of a package's dependency entry: `name` or `name@version`. */
function lockKey(npm: NonNullable<Lock["npm"]>, dep: string): string | undefined {
  if (dep in npm) return dep;
  return Object.keys(npm).find((k) => k.startsWith(`${dep}@`));
}

/**
 * deno.json without the imports of the packages in `drop`, and deno.lock without them and the
 * packages only they needed. Idempotent (the build runs it again after copying the source);
 * tests/dockerfile_test.ts checks that the list names exactly the imports main.ts does not use.
 */
export function pruneManifest(
  config: DenoJson,
  lock: Lock,
  drop: string[],
): { config: DenoJson; lock: Lock } {
  const imports = { ...config.imports };
  for (const name of drop) {
    for (const k of Object.keys(imports)) if (npmName(imports[k]) === name) delete imports[k];
  }
  const kept = (s: string) => !drop.includes(npmName(s) ?? "");
  const specifiers = Object.fromEntries(
    Object.entries(lock.specifiers ?? {}).filter(([s]) => kept(s)),
  );
  // Packages still reachable from a kept specifier.
  const npm = lock.npm ?? {};
  const reachable = new Set<string>();
  const visit = (key: string | undefined) => {
    if (key === undefined || reachable.has(key)) return;
    reachable.add(key);
    for (const dep of npm[key]?.dependencies ?? []) visit(lockKey(npm, dep));
  };
  for (const [s, version] of Object.entries(specifiers)) {
    if (s.startsWith("npm:")) visit(`${npmName(s)}@${version}`);
  }
  const out: Lock = {
    ...lock,
    specifiers,
    npm: Object.fromEntries(Object.entries(npm).filter(([k]) => reachable.has(k))),
  };
  if (lock.workspace) {
    out.workspace = {
      ...lock.workspace,
      dependencies: (lock.workspace.dependencies ?? []).filter(kept),
    };
  }
  return { config: { ...config, imports }, lock: out };
}

if (import.meta.main) {
  const read = (f: string) => JSON.parse(Deno.readTextFileSync(f));
  const { config, lock } = pruneManifest(read("deno.json"), read("deno.lock"), Deno.args);
  Deno.writeTextFileSync("deno.json", JSON.stringify(config, null, 2) + "\n");
  Deno.writeTextFileSync("deno.lock", JSON.stringify(lock, null, 2) + "\n");
}
