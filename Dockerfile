# syntax=docker/dockerfile:1
#
# One recipe for every Clarion image. APP picks the process the image runs:
#   docker build --build-arg APP=gateway -t clarion/gateway .
#   APP = gateway | auth | ingest | clustering | retention | migrate
#
# Stages: deps (all npm dependencies) -> build (SWC into dist/) and prod-deps (runtime dependencies only) ->
# runtime (shared base: Node, tini, non-root, code) -> app-<APP> (ports, health check, command). The first three do
# not depend on APP, so building the six images compiles the workspace once and the rest comes from the cache.
# deploy/README.md has the details; deploy/compose/compose.spec.ts checks this file against the env classes.

# Node 24 LTS (supported until April 2028). Node 26 became the active LTS in October 2026: move to it here, in one
# place for every image, once the workspace's tests pass on it.
ARG NODE_IMAGE=node:24-bookworm-slim
ARG APP=gateway

# --ignore-scripts: package.json's allowScripts denies every install script in the lockfile (argon2 and the others
# load prebuilt binaries); this enforces the same policy whatever npm version the base image bundles.
FROM ${NODE_IMAGE} AS deps
WORKDIR /app
COPY package.json package-lock.json ./
RUN --mount=type=cache,target=/root/.npm npm ci --ignore-scripts --no-audit --no-fund

FROM deps AS build
COPY tsconfig.base.json .swcrc ./
COPY apps ./apps
COPY libs ./libs
COPY tools ./tools
RUN node tools/build/build.mjs

FROM ${NODE_IMAGE} AS prod-deps
WORKDIR /app
COPY package.json package-lock.json ./
RUN --mount=type=cache,target=/root/.npm npm ci --omit=dev --ignore-scripts --no-audit --no-fund
# argon2 is the one native module: compile it here instead of trusting its prebuilt binary, which crashed (SIGSEGV)
# on Debian 12 in our tests. The build tools stay in this stage; the runtime stage copies only node_modules.
RUN apt-get update && apt-get install -y --no-install-recommends python3 make g++ && rm -rf /var/lib/apt/lists/* \
 && npm rebuild argon2 --build-from-source

FROM ${NODE_IMAGE} AS runtime
# tini as PID 1: it forwards SIGTERM/SIGINT to node (which drains and exits within SHUTDOWN_GRACE_MS) and reaps
# zombies. Node as PID 1 would ignore a SIGTERM that arrives before the service installs its handlers.
RUN apt-get update \
 && apt-get install -y --no-install-recommends tini \
 && rm -rf /var/lib/apt/lists/*
ENV NODE_ENV=production \
    CLARION_ENV=production
WORKDIR /app
# The code stays owned by root and read-only to the service user; nothing under /app is written at run time,
# so the containers also run with a read-only root filesystem.
COPY --from=prod-deps /app/node_modules ./node_modules
COPY package.json ./
COPY --from=build /app/dist ./dist
COPY deploy/docker/healthcheck.js ./healthcheck.js
# The ingest spool (batches kept on disk while PostgreSQL is unreachable) lives on a volume mounted here; the
# directory exists and belongs to the service user so a fresh named volume inherits that ownership.
# /nats likewise for compose's nats-keys job, which writes the deployment's NATS identities into a volume there.
RUN mkdir -p /var/lib/clarion/spool /nats && chown 1000:1000 /var/lib/clarion/spool /nats
# uid/gid 1000 is the image's `node` user; numeric, so Kubernetes can verify runAsNonRoot.
USER 1000:1000
ENTRYPOINT ["/usr/bin/tini", "--"]
# Liveness only (the event loop answers). Compose and Kubernetes probe /readyz themselves where they need readiness.
HEALTHCHECK --interval=15s --timeout=5s --start-period=20s --retries=3 CMD ["node", "/app/healthcheck.js", "/healthz"]

# One stage per APP. CMD is written out per stage because the exec form of CMD does not expand variables (an
# ENV APP would reach node as the literal text "${APP}"), and a shell in between would be PID 2 between tini and node.
# OPS_PORT repeats each env class's default so that the HEALTHCHECK knows the port; the compose test checks they agree.

FROM runtime AS app-gateway
ENV OPS_PORT=9400
EXPOSE 3000/tcp 9400/tcp
CMD ["node", "dist/apps/gateway/src/main.js"]

FROM runtime AS app-auth
ENV OPS_PORT=9401
EXPOSE 9401/tcp
CMD ["node", "dist/apps/auth/src/main.js"]

FROM runtime AS app-ingest
ENV OPS_PORT=9402
EXPOSE 9402/tcp 2055/udp 4739/udp 6343/udp
CMD ["node", "dist/apps/ingest/src/main.js"]

FROM runtime AS app-clustering
ENV OPS_PORT=9403
EXPOSE 9403/tcp
CMD ["node", "dist/apps/clustering/src/main.js"]

FROM runtime AS app-retention
ENV OPS_PORT=9404
EXPOSE 9404/tcp
CMD ["node", "dist/apps/retention/src/main.js"]

# The one-shot schema migration (`npm run migrate`) as the schema owner; it serves no port.
FROM runtime AS app-migrate
HEALTHCHECK NONE
CMD ["node", "dist/tools/migrate/migrate.js"]

# The image that is built: the stage named by APP (an unknown APP fails here).
FROM app-${APP}
ARG APP
LABEL org.opencontainers.image.title="clarion-${APP}" \
      org.opencontainers.image.description="Clarion ${APP}" \
      org.opencontainers.image.licenses="UNLICENSED"
