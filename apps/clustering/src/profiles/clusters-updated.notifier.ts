import { EventSubjects, type ClustersUpdatedEvent } from '@clarion/contracts';
import { publishEvent, type NatsConnectionHolder } from '@clarion/messaging';
import type { Logger } from 'pino';

interface TenantThrottle {
  lastPublishedMs: number;
  trailing?: NodeJS.Timeout;
  clusters: number | null;
}

/**
 * Publishes `clarion.clusters.updated.v1` (reason 'assignment') at most once per `intervalMs` per tenant: a busy tenant
 * changes memberships with nearly every batch, and the consoles listening only need to know that they should refresh.
 * A change inside the interval is not lost: one trailing event goes out when the interval ends.
 */
export class ClustersUpdatedNotifier {
  private readonly tenants = new Map<string, TenantThrottle>();
  private closed = false;

  constructor(
    private readonly nats: NatsConnectionHolder,
    private readonly intervalMs: number,
    private readonly logger: Logger,
  ) {}

  notify(tenantId: string, clusters: number | null): void {
    if (this.closed) return;
    let throttle = this.tenants.get(tenantId);
    if (!throttle) {
      throttle = { lastPublishedMs: Number.NEGATIVE_INFINITY, clusters };
      this.tenants.set(tenantId, throttle);
    }
    throttle.clusters = clusters;
    if (throttle.trailing) return;
    const wait = throttle.lastPublishedMs + this.intervalMs - Date.now();
    if (wait <= 0) {
      this.publish(tenantId, throttle);
      return;
    }
    const pending = throttle;
    pending.trailing = setTimeout(() => {
      pending.trailing = undefined;
      this.publish(tenantId, pending);
    }, wait);
    pending.trailing.unref();
  }

  private publish(tenantId: string, throttle: TenantThrottle): void {
    throttle.lastPublishedMs = Date.now();
    const event: ClustersUpdatedEvent = { tenantId, reason: 'assignment', jobId: null, clusters: throttle.clusters, at: new Date().toISOString() };
    const outcome = publishEvent(this.nats, EventSubjects.clustersUpdated, event);
    if (!outcome.published) this.logger.debug({ tenantId, err: outcome.reason }, 'clusters-updated event not published');
  }

  close(): void {
    this.closed = true;
    for (const throttle of this.tenants.values()) if (throttle.trailing) clearTimeout(throttle.trailing);
    this.tenants.clear();
  }
}
