# syntax=docker/dockerfile:1
# Tock in a container: the official Deno image (pinned), dependencies cached in their own layer,
# the unprivileged `deno` user, KV in the /data volume, listening on 0.0.0.0:8000.
#
#   docker build -t tock .
#   docker run -d --name tock -p 8000:8000 -v tock-data:/data -e TOCK_API_KEY=change-me tock
#
# Configure it with the environment variables listed by `serve --help` (PORT, TOCK_API_KEY, TOCK_KV,
# TOCK_LOG_FORMAT, ...). The image's entrypoint (tini + docker-entrypoint.sh) runs `deno <CMD>`,
# so `docker run tock run -A main.ts serve --help` works too.

ARG DENO_IMAGE=denoland/deno:2.9.6

# ---- build: fetch the runtime dependencies, then type-check and cache the module graph ----
FROM ${DENO_IMAGE} AS build
WORKDIR /app
# npm imports only the tests use: Deno installs every npm import of deno.json whatever the
# entrypoint, so they are cut from deno.json and deno.lock here (docker/runtime_deps.ts) and
# neither node_modules nor /deno-dir ever holds them. tests/dockerfile_test.ts checks this list
# against main.ts's module graph.
ARG TEST_ONLY_IMPORTS="playwright-core axe-core standardwebhooks"
# Only the manifest, the lockfile and the pruning script: this layer (every npm package) is
# reused until one of them changes, so editing the source does not download anything again.
COPY deno.json deno.lock ./
COPY docker/runtime_deps.ts docker/
RUN deno run --no-config --allow-read=. --allow-write=. docker/runtime_deps.ts ${TEST_ONLY_IMPORTS} \
 && deno install --frozen
COPY . .
# The source copy brought the full manifest back: prune it again (same result), then check
# and cache the graphs of main.ts and of the payload validator's worker (started with
# new Worker(), which no module graph follows) only. Running `serve --version` once fills the transpile cache, so the
# read-only runtime never needs to write to /deno-dir.
RUN deno run --no-config --allow-read=. --allow-write=. docker/runtime_deps.ts ${TEST_ONLY_IMPORTS} \
 && deno check main.ts core/payload_validator_worker.ts \
 && deno cache --frozen main.ts core/payload_validator_worker.ts \
 && deno run --cached-only --frozen main.ts serve --version \
 && chmod -R a-w /app /deno-dir

# ---- runtime: the same pinned image, the app and its cache, read-only to the deno user ----
FROM ${DENO_IMAGE}
WORKDIR /app
ENV TOCK_HOSTNAME=0.0.0.0 \
    PORT=8000 \
    TOCK_KV=/data/tock.kv \
    TOCK_LOG_FORMAT=json \
    DENO_NO_UPDATE_CHECK=1
# Owned by root and not writable (mode set in the build stage): the deno user can read and
# run the app, not change it. Only /data is its own.
COPY --from=build /deno-dir /deno-dir
COPY --from=build /app /app
# The mount point exists and belongs to deno before VOLUME, so a new named volume starts out
# writable by the unprivileged user (Docker copies the ownership into it).
RUN mkdir -p /data && chown deno:deno /data
VOLUME /data
USER deno
EXPOSE 8000
# The image has no curl: ask /healthz with Deno itself (503 while KV is unusable).
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
  CMD ["deno", "eval", "--no-config", "const r = await fetch(`http://127.0.0.1:${Deno.env.get('PORT') ?? '8000'}/healthz`).catch(() => null); Deno.exit(r?.ok ? 0 : 1)"]
# SIGTERM (docker stop) lets Tock finish the commits in flight before it exits.
STOPSIGNAL SIGTERM
# The bind address as a flag: Docker, podman and Kubernetes set HOSTNAME to the container's
# name, which is why Tock reads TOCK_HOSTNAME, not HOSTNAME; the flag leaves no doubt.
CMD ["run", "--allow-net", "--allow-read", "--allow-write", "--allow-env", "--cached-only", "--frozen", "main.ts", "serve", "--hostname", "0.0.0.0"]
