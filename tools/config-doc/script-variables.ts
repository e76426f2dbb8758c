/**
 * The variables that are not in an env class: the ones `npm start`'s scripts read, the one libs/observability reads
 * before a service validates its environment, and the ones deploy/compose/docker-compose.yml interpolates. Their
 * names and defaults are read from those files (tools/config-doc/env-example.ts); only what a person needs to know
 * about each is written here. A variable a script starts reading without a description here stops `.env.example`
 * from being generated, and so does a description here that no file reads any more.
 */
import { SERVICE_NAMES } from '@clarion/contracts';

/** The group of `.env.example` that the npm start scripts' own variables go to. */
export const NPM_START = 'npm start';
/** The group of `.env.example` for the variables the compose file interpolates. */
export const DOCKER_COMPOSE = 'docker compose';

/** A file that reads environment variables itself, and who runs it (the group its own variables go to). */
export interface EnvSource {
  path: string;
  readers: readonly string[];
}

export const ENV_SOURCES: readonly EnvSource[] = [
  { path: 'tools/dev/start.sh', readers: [NPM_START] },
  { path: 'tools/dev/run-services.mjs', readers: [NPM_START] },
  { path: 'tools/infra/ensure-services.sh', readers: [NPM_START] },
  { path: 'tools/infra/db-setup.sh', readers: [NPM_START] },
  // Tracing starts before the env class runs (it must be the first import), so it reads its variables itself.
  { path: 'libs/observability/src/tracing.ts', readers: SERVICE_NAMES },
];

/** The compose file whose `${NAME:-default}` interpolations the root compose.yaml (through `include:`) uses. */
export const COMPOSE_SOURCE = 'deploy/compose/docker-compose.yml';

export interface ScriptVariable {
  description: string;
  secret?: boolean;
}

/** Read by the files of ENV_SOURCES and declared by no env class. */
export const SCRIPT_VARIABLES: Readonly<Record<string, ScriptVariable>> = {
  CLARION_READY_TIMEOUT_S: { description: "Seconds npm start waits for every service's /readyz to answer 200 before it stops them all." },
  CLARION_STOP_TIMEOUT_S: { description: 'Seconds npm start gives the services to stop after Ctrl-C (SIGTERM) before it kills them.' },
  CLARION_NATS_PORT: {
    description: "Port of the machine's NATS with JetStream that tools/infra/ensure-services.sh looks for (or starts); the test suites use it.",
  },
  CLARION_DEV_NATS_PORT: {
    description: "Port of npm start's own nats-server (TLS, an nkey per service, the deployed permissions), started by run-services.mjs.",
  },
  CLARION_PG_PORT: { description: 'Port tools/infra/ensure-services.sh looks for (or starts) PostgreSQL on; point DATABASE_URL there too.' },
  CLARION_REDIS_PORT: { description: 'Port tools/infra/ensure-services.sh looks for (or starts) Redis on; point REDIS_URL there too.' },
  CLARION_INFRA_AUTO_INSTALL: { description: '0: tools/infra/ensure-services.sh never installs or starts PostgreSQL, NATS or Redis; it only checks and says what is missing.' },
  FORCE_COLOR: { description: "Colour the [service] tags of npm start's log lines even when stdout is not a terminal (0: never)." },
  NO_COLOR: { description: "Any value turns off the colours of npm start's log lines." },
  PGHOST: { description: 'PostgreSQL host the setup scripts reach with psql: start.sh creates the demo tenant there, tools/infra/db-setup.sh the roles and database.' },
  PGUSER: { description: 'PostgreSQL superuser tools/infra/db-setup.sh connects as (ensure-services.sh always passes postgres).' },
  CLARION_OWNER_PASSWORD: { secret: true, description: 'Password tools/infra/db-setup.sh gives the schema owner role clarion_owner; unset: none (local development uses trust authentication).' },
  CLARION_APP_PASSWORD: {
    secret: true,
    description: 'Password tools/infra/db-setup.sh gives clarion_app, the role the services shared before each had its own; unset: none (local development uses trust authentication).',
  },
  CLARION_GATEWAY_PASSWORD: { secret: true, description: "Password tools/infra/db-setup.sh gives clarion_gateway, the gateway service's own role; unset: none (local development uses trust authentication)." },
  CLARION_AUTH_PASSWORD: { secret: true, description: "Password tools/infra/db-setup.sh gives clarion_auth, the auth service's own role; unset: none (local development uses trust authentication)." },
  CLARION_INGEST_PASSWORD: { secret: true, description: "Password tools/infra/db-setup.sh gives clarion_ingest, the ingest service's own role; unset: none (local development uses trust authentication)." },
  CLARION_CLUSTERING_PASSWORD: { secret: true, description: "Password tools/infra/db-setup.sh gives clarion_clustering, the clustering service's own role; unset: none (local development uses trust authentication)." },
  CLARION_RETENTION_PASSWORD: { secret: true, description: "Password tools/infra/db-setup.sh gives clarion_retention, the retention service's own role; unset: none (local development uses trust authentication)." },
  OTEL_BSP_SCHEDULE_DELAY: { description: 'Milliseconds between two exports of finished spans to OTEL_EXPORTER_OTLP_ENDPOINT (the OpenTelemetry batch span processor).' },
};

/** Variables a source reads that one script sets for another, not for a person: left out of `.env.example`. */
export const INTERNAL_VARIABLES: Readonly<Record<string, string>> = {
  CLARION_START_EPOCH_MS: 'start.sh tells run-services.mjs when npm start began, for its timings',
};

/**
 * What tools/dev/run-services.mjs gives the services itself, whatever `.env` or the environment says (or, where
 * noted, unless they say otherwise): shown next to those variables in `.env.example`. Keyed by what it sets (a
 * `_FILE` form stands for its variable).
 */
export const NPM_START_SETS: Readonly<Record<string, string>> = {
  OPS_PORT: "each service's own default, so that the five never collide",
  NATS_URL: "nats://127.0.0.1:<CLARION_DEV_NATS_PORT>, npm start's own nats-server",
  NATS_NKEY_SEED_FILE: 'tmp/nats/<service>.nk, each service its own identity (so do not set NATS_NKEY_SEED)',
  NATS_TLS: 'true',
  NATS_TLS_CA_FILE: 'tmp/nats/ca.crt, the development CA npm start makes (so do not set NATS_TLS_CA)',
  RPC_SIGNING_KEY_FILE: 'tmp/nats/<service>.rpc.key, each service its own caller-assertion key (so do not set RPC_SIGNING_KEY)',
  RPC_TRUSTED_KEYS_FILE: 'tmp/nats/rpc-trust.json, the public keys npm start made (so do not set RPC_TRUSTED_KEYS)',
  INGEST_DEFAULT_TENANT: 'demo (the tenant start.sh creates for the demo feed) unless it is set',
  CLUSTERING_SCHEDULE_INTERVAL_S: '600 (the demo replays a day in an hour) unless it is set',
};

/** The variables the compose file interpolates (`${NAME:-default}`): for `docker compose`, not for the services. */
export const COMPOSE_VARIABLES: Readonly<Record<string, string>> = {
  CLARION_LOG_LEVEL: "LOG_LEVEL of every service's container.",
  CLARION_IMAGE_PREFIX: 'Registry and namespace of the images built and run: <prefix>/<service>:<tag>.',
  CLARION_TAG: 'Tag of the images built and run.',
  CLARION_COMPOSE_ENV: "CLARION_ENV of every Clarion container: development on the committed placeholder secrets; production, which refuses them, is what the compose.env of deploy/compose/generate-secrets.sh sets.",
  CLARION_CORS_ORIGINS: "The gateway container's CORS_ORIGINS: the origins of the browser clients (`*` is refused in production).",
  CLARION_HTTP_PORT: 'Host port the API is published on (the gateway listens on 3000 inside its container).',
  CLARION_SECRETS_DIR: 'Directory of the secret files, relative to deploy/compose; the default holds development placeholders only (deploy/compose/generate-secrets.sh makes real ones).',
};
