import { EventSubjects, TENANT_SLUG_PATTERN, TENANT_STATUSES, type ExporterChangedEvent, type TenantChangedEvent } from '@clarion/contracts';
import type { NatsConnectionHolder } from '@clarion/messaging';
import { isIP } from 'node:net';
import type { NatsConnection, Subscription } from 'nats';
import type { Logger } from 'pino';
import type { TenantDirectory } from '../tenancy/tenant-directory';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** A tenant change event as auth publishes it, or undefined for anything else. */
export function tenantChangedEventOf(value: unknown): TenantChangedEvent | undefined {
  const e = value as Partial<TenantChangedEvent> | null;
  if (typeof e?.tenantId !== 'string' || !UUID.test(e.tenantId) || typeof e.slug !== 'string' || !TENANT_SLUG_PATTERN.test(e.slug)) return undefined;
  if (!(TENANT_STATUSES as readonly unknown[]).includes(e.status)) return undefined;
  return { tenantId: e.tenantId, slug: e.slug, status: e.status as TenantChangedEvent['status'], at: String(e.at ?? '') };
}

/** An exporter change event as an ingest instance publishes it, or undefined for anything else. */
export function exporterChangedEventOf(value: unknown): ExporterChangedEvent | undefined {
  const e = value as Partial<ExporterChangedEvent> | null;
  if (typeof e?.tenantId !== 'string' || !UUID.test(e.tenantId) || typeof e.address !== 'string' || isIP(e.address) === 0) return undefined;
  const r = e.registration;
  if (r === null) return { tenantId: e.tenantId, address: e.address, registration: null, at: String(e.at ?? '') };
  if (typeof r !== 'object' || r === undefined || typeof r.enabled !== 'boolean') return undefined;
  if (r.samplingOverride !== null && !(Number.isInteger(r.samplingOverride) && r.samplingOverride >= 1)) return undefined;
  return { tenantId: e.tenantId, address: e.address, registration: { enabled: r.enabled, samplingOverride: r.samplingOverride }, at: String(e.at ?? '') };
}

/**
 * Applies tenant and exporter changes to this instance's directory as they are announced (plain subscriptions, not a
 * queue group: every ingest instance routes). Malformed events are dropped; the periodic refresh is the backstop.
 */
export class DirectoryEvents {
  private readonly subscriptions: Subscription[] = [];

  constructor(
    private readonly nats: NatsConnectionHolder,
    private readonly directory: TenantDirectory,
    private readonly logger: Logger,
  ) {}

  start(): void {
    void this.nats
      .whenConnected()
      .then((nc) => this.subscribe(nc))
      .catch((err: unknown) => this.logger.error({ err }, 'could not subscribe to tenant and exporter events'));
  }

  stop(): void {
    for (const s of this.subscriptions) s.unsubscribe();
  }

  private subscribe(nc: NatsConnection): void {
    const on = <T>(subject: string, parse: (value: unknown) => T | undefined, apply: (event: T) => void) => {
      this.subscriptions.push(
        nc.subscribe(subject, {
          callback: (err, message) => {
            if (err) return;
            let event: T | undefined;
            try {
              event = parse(JSON.parse(Buffer.from(message.data).toString('utf8')));
            } catch {
              event = undefined;
            }
            if (event === undefined) this.logger.warn({ subject }, 'malformed event dropped');
            else apply(event);
          },
        }),
      );
    };
    on(EventSubjects.tenantsChanged, tenantChangedEventOf, (e) => this.directory.applyTenantEvent(e));
    on(EventSubjects.exportersChanged, exporterChangedEventOf, (e) => this.directory.applyExporterEvent(e));
  }
}
