# syntax=docker/dockerfile:1
# Tock in a container: the official Deno image (pinned), dependencies cached in their own layer,
# the unprivileged `deno` user, KV in the /data volume, listening on 0.0.0.0:8000.
#
#   docker build -t tock .
#   docker run -d --name tock -p 8000:8000 -v tock-data:/data -e TOCK_API_KEY=change-me tock
#
# Configure it with the environment variables listed by --help (PORT, TOCK_API_KEY, TOCK_KV,
# TOCK_LOG_FORMAT, ...). The image's entrypoint (tini + docker-entrypoint.sh) runs `deno <CMD>`,
# so `docker run tock run -A main.ts --help` works too.

ARG DENO_IMAGE=denoland/deno:2.9.6

# ---- build: fetch the dependencies, then type-check and cache the module graph ----
FROM ${DENO_IMAGE} AS build
WORKDIR /app
# Only the manifest and the lockfile: this layer (every npm package) is reused until one of
# them changes, so editing the source does not download anything again.
COPY deno.json deno.lock ./
RUN deno install --frozen
COPY . .
RUN deno check main.ts && deno cache --frozen main.ts

# ---- runtime: the same pinned image, the app and its cache, no build leftovers ----
FROM ${DENO_IMAGE}
WORKDIR /app
ENV HOSTNAME=0.0.0.0 \
    PORT=8000 \
    TOCK_KV=/data/tock.kv \
    TOCK_LOG_FORMAT=json \
    DENO_NO_UPDATE_CHECK=1
COPY --from=build --chown=deno:deno /deno-dir /deno-dir
COPY --from=build --chown=deno:deno /app /app
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
# --hostname as a flag, not only ENV: podman and Kubernetes overwrite HOSTNAME with the
# container's or pod's name, and Tock would bind that address instead of all interfaces.
CMD ["run", "--allow-net", "--allow-read", "--allow-write", "--allow-env", "--cached-only", "main.ts", "--hostname", "0.0.0.0"]
