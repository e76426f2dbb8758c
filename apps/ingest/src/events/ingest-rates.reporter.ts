import { EventSubjects, type IngestRatesEvent } from '@clarion/contracts';
import type { Logger } from 'pino';

/**
 * Counts committed flows per tenant and publishes `clarion.ingest.rates.v1` every interval for each tenant that had
 * any, so live views (the gateway's WebSocket stream) show ingest rates without polling Prometheus. Core NATS, fire
 * and forget: a rate missed while NATS is away is not worth buffering.
 */
export class IngestRatesReporter {
  private counts = new Map<string, number>();
  private lastReportMs: number;

  constructor(
    private readonly publish: (subject: string, payload: Uint8Array) => void,
    private readonly instanceId: string,
    private readonly logger: Logger,
    now: number = Date.now(),
  ) {
    this.lastReportMs = now;
  }

  committed(tenantId: string, flows: number): void {
    this.counts.set(tenantId, (this.counts.get(tenantId) ?? 0) + flows);
  }

  /** Publishes one event per tenant with flows since the last report; returns the events sent. */
  report(now: number = Date.now()): IngestRatesEvent[] {
    const intervalSeconds = Math.max((now - this.lastReportMs) / 1000, 0.001);
    this.lastReportMs = now;
    const counts = this.counts;
    this.counts = new Map();
    const events: IngestRatesEvent[] = [];
    for (const [tenantId, flows] of counts) {
      const event: IngestRatesEvent = {
        tenantId,
        at: new Date(now).toISOString(),
        instanceId: this.instanceId,
        intervalSeconds: Math.round(intervalSeconds * 1000) / 1000,
        flows,
        flowsPerSecond: Math.round((flows / intervalSeconds) * 10) / 10,
      };
      try {
        this.publish(EventSubjects.ingestRates, Buffer.from(JSON.stringify(event)));
        events.push(event);
      } catch (err) {
        this.logger.debug({ err: (err as Error).message }, 'ingest rates not published');
      }
    }
    return events;
  }
}
