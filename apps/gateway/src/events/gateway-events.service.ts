import { Inject, Injectable, type BeforeApplicationShutdown, type OnApplicationBootstrap } from '@nestjs/common';
import { EventSubjects, type ClusteringJobProgressEvent, type ClustersUpdatedEvent, type IngestRatesEvent, type SessionsRevokedEvent } from '@clarion/contracts';
import { SERVICE_RUNTIME, type ServiceRuntime } from '@clarion/platform';
import type { Subscription } from 'nats';
import type { GatewayEnv } from '../gateway.env';

/** The events the gateway reacts to, by subject. */
export interface GatewayEventMap {
  [EventSubjects.clustersUpdated]: ClustersUpdatedEvent;
  [EventSubjects.clusteringJobProgress]: ClusteringJobProgressEvent;
  [EventSubjects.ingestRates]: IngestRatesEvent;
  [EventSubjects.sessionsRevoked]: SessionsRevokedEvent;
}

export type GatewayEventSubject = keyof GatewayEventMap;
type Listener<S extends GatewayEventSubject> = (event: GatewayEventMap[S]) => void | Promise<void>;

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * One core-NATS subscription per event subject for this gateway instance (plain subscriptions, not queue groups: every
 * instance must drop its caches and feed its own WebSocket clients), fanned out to in-process listeners. An event
 * without a valid tenant id is dropped: listeners always act inside one tenant.
 */
@Injectable()
export class GatewayEvents implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly listeners = new Map<GatewayEventSubject, Array<Listener<GatewayEventSubject>>>();
  private readonly subscriptions: Subscription[] = [];
  private started = false;

  constructor(@Inject(SERVICE_RUNTIME) private readonly runtime: ServiceRuntime<GatewayEnv>) {}

  on<S extends GatewayEventSubject>(subject: S, listener: Listener<S>): void {
    const list = this.listeners.get(subject) ?? [];
    list.push(listener as Listener<GatewayEventSubject>);
    this.listeners.set(subject, list);
  }

  /** Delivers an event to the listeners as if it had come over NATS (used by the subscription and by tests). */
  async dispatch<S extends GatewayEventSubject>(subject: S, event: GatewayEventMap[S]): Promise<void> {
    if (typeof event !== 'object' || event === null || typeof event.tenantId !== 'string' || !UUID.test(event.tenantId)) return;
    for (const listener of this.listeners.get(subject) ?? []) {
      try {
        await listener(event);
      } catch (err) {
        this.runtime.logger.warn({ err, subject }, 'gateway event listener failed');
      }
    }
  }

  onApplicationBootstrap(): void {
    if (this.started) return;
    this.started = true;
    void this.runtime.nats
      .whenConnected()
      .then((nc) => {
        for (const subject of [EventSubjects.clustersUpdated, EventSubjects.clusteringJobProgress, EventSubjects.ingestRates, EventSubjects.sessionsRevoked] as const) {
          const subscription = nc.subscribe(subject, {
            callback: (err, message) => {
              if (err) return;
              let event: unknown;
              try {
                event = JSON.parse(Buffer.from(message.data).toString('utf8'));
              } catch {
                this.runtime.logger.warn({ subject }, 'malformed event dropped');
                return;
              }
              void this.dispatch(subject, event as GatewayEventMap[typeof subject]);
            },
          });
          this.subscriptions.push(subscription);
        }
      })
      .catch((err: unknown) => this.runtime.logger.error({ err }, 'could not subscribe to gateway events'));
  }

  beforeApplicationShutdown(): void {
    for (const s of this.subscriptions) s.unsubscribe();
  }
}
