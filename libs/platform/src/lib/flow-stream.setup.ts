import { Inject, Injectable, type OnApplicationBootstrap } from '@nestjs/common';
import type { JetStreamServiceEnv } from '@clarion/config';
import { Streams } from '@clarion/contracts';
import { ensureStream } from '@clarion/messaging';
import { SERVICE_RUNTIME, type ServiceRuntime } from './runtime';

/**
 * Creates or updates the FLOWS JetStream stream with the configured limits as soon as NATS is reachable. Both ends
 * of the stream (ingest, clustering) provide it, so either may start first.
 */
@Injectable()
export class FlowStreamSetup implements OnApplicationBootstrap {
  constructor(@Inject(SERVICE_RUNTIME) private readonly runtime: ServiceRuntime<JetStreamServiceEnv>) {}

  onApplicationBootstrap(): void {
    const { env, logger, nats } = this.runtime;
    void nats
      .jetstreamManager()
      .then((jsm) =>
        ensureStream(jsm, Streams.flows, {
          maxBytes: env.JETSTREAM_FLOWS_MAX_BYTES,
          maxAgeSeconds: env.JETSTREAM_FLOWS_MAX_AGE_S,
          replicas: env.JETSTREAM_REPLICAS,
          duplicateWindowSeconds: env.JETSTREAM_DUPLICATE_WINDOW_S,
        }),
      )
      .then((outcome) => logger.info({ stream: Streams.flows.name, outcome }, 'JetStream stream ready'))
      .catch((err: unknown) => logger.error({ err }, 'could not create the FLOWS stream'));
  }
}
