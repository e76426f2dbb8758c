import { SpanKind, trace } from '@opentelemetry/api';
import { decodeFlowBatch, type FlowBatchEvent } from '@clarion/contracts';
import { extractTraceContext, type NatsConnectionHolder } from '@clarion/messaging';
import {
  AckPolicy,
  ConsumerEvents,
  DeliverPolicy,
  Events,
  nanos,
  type ConsumerConfig,
  type ConsumerInfo,
  type ConsumerMessages,
  type JetStreamManager,
  type JsMsg,
  type Consumer,
  type NatsConnection,
} from 'nats';
import type { Logger } from 'pino';
import type { FlowBatchProcessor } from './flow-batch.processor';
import type { ProfilesMetrics } from './profiles-metrics';

export interface FlowBatchConsumerOptions {
  stream: string;
  /** Durable name shared by every instance, so JetStream spreads the batches over them. */
  durableName: string;
  filterSubject: string;
  ackWaitMs: number;
  maxDeliver: number;
  maxAckPending: number;
  /** Messages this instance processes at the same time. */
  concurrency: number;
  /** Redelivery delay after the first failure; doubles with each further delivery up to MAX_RETRY_DELAY_MS. */
  retryDelayMs: number;
  pendingRefreshMs: number;
  /**
   * Believes a message only when this resolves: its publisher's signature (Headers.messageSignature) over subject,
   * message id and payload verifies, by an identity that may publish the subject. A refusal terminates the message
   * unprocessed and counts it. Absent only in tests of the consumer's own mechanics.
   */
  authenticate?: (msg: JsMsg) => Promise<void>;
}

/** Longest redelivery delay after repeated failures: a long database outage then costs few deliveries. */
export const MAX_RETRY_DELAY_MS = 300_000;
const RESTART_MIN_MS = 500;
const RESTART_MAX_MS = 10_000;
/** ConsumerNotFound notifications in a row before the consumer is created again (someone deleted it). */
const NOT_FOUND_BEFORE_RECREATE = 3;

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms).unref());

function isNotFound(err: unknown): boolean {
  return /not found/i.test((err as Error)?.message ?? '');
}

function pgCode(err: unknown): string | undefined {
  const e = err as { code?: unknown; driverError?: { code?: unknown } } | undefined;
  const code = e?.driverError?.code ?? e?.code;
  return typeof code === 'string' ? code : undefined;
}

/**
 * Creates the durable pull consumer or brings its settings in line with config. Every instance calls it at boot;
 * JetStream serialises the calls, and a consumer another instance created a moment earlier is simply reused.
 */
export async function ensureFlowConsumer(
  jsm: JetStreamManager,
  options: Pick<FlowBatchConsumerOptions, 'stream' | 'durableName' | 'filterSubject' | 'ackWaitMs' | 'maxDeliver' | 'maxAckPending'>,
): Promise<'created' | 'updated' | 'unchanged'> {
  const settings = {
    filter_subject: options.filterSubject,
    ack_wait: nanos(options.ackWaitMs),
    max_deliver: options.maxDeliver,
    max_ack_pending: options.maxAckPending,
  };
  let current: ConsumerInfo | undefined;
  try {
    current = await jsm.consumers.info(options.stream, options.durableName);
  } catch (err) {
    if (!isNotFound(err)) throw err;
  }
  if (!current) {
    const config: Partial<ConsumerConfig> = {
      durable_name: options.durableName,
      ack_policy: AckPolicy.Explicit,
      // A new consumer starts with what the stream still holds: flows ingested before clustering first ran count too.
      deliver_policy: DeliverPolicy.All,
      ...settings,
    };
    try {
      await jsm.consumers.add(options.stream, config);
      return 'created';
    } catch (err) {
      if (!/already in use|exists/i.test((err as Error).message)) throw err;
      current = await jsm.consumers.info(options.stream, options.durableName);
    }
  }
  const c = current.config;
  if (
    c.filter_subject === settings.filter_subject &&
    c.ack_wait === settings.ack_wait &&
    c.max_deliver === settings.max_deliver &&
    c.max_ack_pending === settings.max_ack_pending
  ) {
    return 'unchanged';
  }
  await jsm.consumers.update(options.stream, options.durableName, settings);
  return 'updated';
}

interface InFlight {
  msg: JsMsg;
  settled: boolean;
  done: Promise<void>;
}

/**
 * Consumes `clarion.flows.batch.v1` from the shared durable consumer with at most `concurrency` messages in hand:
 * decode, merge (FlowBatchProcessor), acknowledge after the commit. An undecodable message is terminated (never
 * redelivered); a database failure is negatively acknowledged with a growing delay. The pull subscription follows
 * the connection through NATS reconnects; if it ends (consumer deleted, stream recreated) it is set up again.
 * While the connection is down the instance reports not ready, though the subscription itself survives.
 */
export class FlowBatchConsumer {
  private stopping = false;
  private consuming = false;
  /** Set between a `disconnect` and the next `reconnect` of the NATS connection. */
  private disconnected = false;
  private problem = 'not started';
  private messages?: ConsumerMessages;
  private consumer?: Consumer;
  private loop?: Promise<void>;
  private pendingTimer?: NodeJS.Timeout;
  private readonly inFlight = new Set<InFlight>();
  private slotWaiters: Array<() => void> = [];
  private readonly tracer = trace.getTracer('clarion-clustering');
  private wakeStopped!: () => void;
  /** Resolves on stop(), so a back-off pause between set-up attempts ends at once. */
  private readonly stopped = new Promise<void>((resolve) => (this.wakeStopped = resolve));

  constructor(
    private readonly nats: NatsConnectionHolder,
    private readonly processor: FlowBatchProcessor,
    private readonly options: FlowBatchConsumerOptions,
    private readonly metrics: ProfilesMetrics,
    private readonly logger: Logger,
  ) {}

  start(): void {
    if (this.loop) return;
    this.loop = this.run();
    void this.nats
      .whenConnected()
      .then((nc) => this.followConnection(nc))
      .catch(() => undefined);
    this.pendingTimer = setInterval(() => void this.refreshPending(), this.options.pendingRefreshMs);
    this.pendingTimer.unref();
  }

  /** Readiness: rejects while the consumer is not set up or its subscription is being restored. */
  async check(): Promise<void> {
    if (!this.consuming) throw new Error(`flow-batch consumer not consuming: ${this.problem}`);
    if (this.disconnected) throw new Error('flow-batch consumer not consuming: NATS connection lost, reconnecting');
  }

  get isConsuming(): boolean {
    return this.consuming && !this.disconnected;
  }

  /**
   * Stops pulling, lets the messages in hand finish until `deadlineMs`, and negatively acknowledges (for prompt
   * redelivery elsewhere) what is still unfinished then. A merge that commits after that is a redelivery the ledger
   * recognises.
   */
  async stop(deadlineMs: number): Promise<void> {
    if (this.stopping) return;
    this.stopping = true;
    this.consuming = false;
    this.problem = 'stopping';
    this.wakeStopped();
    if (this.pendingTimer) clearInterval(this.pendingTimer);
    await this.messages?.close().catch(() => undefined);
    const waiting = [...this.inFlight].map((f) => f.done);
    await Promise.race([Promise.allSettled(waiting), sleep(Math.max(0, deadlineMs - Date.now()))]);
    for (const f of this.inFlight) {
      if (!f.settled) {
        f.settled = true;
        f.msg.nak();
      }
    }
    for (const wake of this.slotWaiters.splice(0)) wake();
    await Promise.race([this.loop, sleep(Math.max(0, deadlineMs - Date.now()))]);
  }

  private async run(): Promise<void> {
    let backoff = RESTART_MIN_MS;
    while (!this.stopping) {
      try {
        const jsm = await this.nats.jetstreamManager();
        const outcome = await ensureFlowConsumer(jsm, this.options);
        if (outcome !== 'unchanged') this.logger.info({ stream: this.options.stream, consumer: this.options.durableName, outcome }, 'JetStream consumer ready');
        const js = await this.nats.jetstream();
        this.consumer = await js.consumers.get(this.options.stream, this.options.durableName);
        if (this.stopping) break;
        const messages = await this.consumer.consume({ max_messages: this.options.concurrency * 2 });
        this.messages = messages;
        if (this.stopping) {
          await messages.close().catch(() => undefined);
          break;
        }
        void this.watch(messages);
        this.consuming = true;
        this.problem = '';
        backoff = RESTART_MIN_MS;
        void this.refreshPending();
        for await (const msg of messages) {
          if (this.stopping) {
            msg.nak();
            continue;
          }
          await this.acquireSlot();
          if (this.stopping) {
            msg.nak();
            continue;
          }
          this.dispatch(msg);
        }
        if (!this.stopping) this.logger.warn({ consumer: this.options.durableName }, 'flow-batch subscription ended; setting it up again');
      } catch (err) {
        if (this.stopping) break;
        this.problem = (err as Error).message;
        // At first boot the FLOWS stream may not exist yet: FlowStreamSetup creates it concurrently.
        const level = isNotFound(err) && backoff === RESTART_MIN_MS ? 'info' : 'warn';
        this.logger[level]({ err: (err as Error).message, retryInMs: backoff }, 'flow-batch consumer unavailable; retrying');
      }
      this.consuming = false;
      if (!this.stopping) {
        this.problem ||= 'restarting';
        await Promise.race([sleep(backoff), this.stopped]);
        backoff = Math.min(RESTART_MAX_MS, backoff * 2);
      }
    }
    this.consuming = false;
  }

  /**
   * The pull subscription outlives a lost connection (nats.js pulls again after the reconnect), so neither its loop
   * nor its status notifications tell that nothing can arrive meanwhile: the connection's own events do.
   */
  private async followConnection(nc: NatsConnection): Promise<void> {
    for await (const status of nc.status()) {
      if (status.type === Events.Disconnect) this.disconnected = true;
      else if (status.type === Events.Reconnect) this.disconnected = false;
    }
  }

  /** Informational notifications of the pull subscription; a deleted consumer ends the subscription so it is recreated. */
  private async watch(messages: ConsumerMessages): Promise<void> {
    try {
      for await (const status of await messages.status()) {
        if (status.type === ConsumerEvents.ConsumerDeleted || (status.type === ConsumerEvents.ConsumerNotFound && Number(status.data) >= NOT_FOUND_BEFORE_RECREATE)) {
          this.problem = status.type;
          this.consuming = false;
          this.logger.warn({ event: status.type, data: status.data }, 'flow-batch consumer lost; recreating it');
          await messages.close();
          return;
        }
        if (status.type === ConsumerEvents.HeartbeatsMissed || status.type === ConsumerEvents.StreamNotFound || status.type === ConsumerEvents.NoResponders) {
          this.logger.warn({ event: status.type, data: status.data }, 'flow-batch consumer status');
        }
      }
    } catch {
      // The status iterator ends with its subscription.
    }
  }

  private acquireSlot(): Promise<void> {
    if (this.inFlight.size < this.options.concurrency) return Promise.resolve();
    return new Promise((resolve) => this.slotWaiters.push(resolve));
  }

  private dispatch(msg: JsMsg): void {
    const entry: InFlight = { msg, settled: false, done: Promise.resolve() };
    entry.done = this.handle(entry).finally(() => {
      this.inFlight.delete(entry);
      this.slotWaiters.shift()?.();
    });
    this.inFlight.add(entry);
  }

  private async handle(entry: InFlight): Promise<void> {
    const { msg } = entry;
    const settle = (action: () => void): void => {
      if (entry.settled) return;
      entry.settled = true;
      action();
    };
    const parent = extractTraceContext(msg.headers);
    await this.tracer.startActiveSpan(
      `${msg.subject} process`,
      {
        kind: SpanKind.CONSUMER,
        attributes: {
          'messaging.system': 'nats',
          'messaging.destination.name': msg.subject,
          'messaging.consumer.group.name': this.options.durableName,
          'messaging.message.delivery_count': msg.info.redeliveryCount,
        },
      },
      parent,
      async (span) => {
        if (this.options.authenticate) {
          try {
            await this.options.authenticate(msg);
          } catch (err) {
            const reason = (err as { reason?: string }).reason ?? 'malformed';
            this.metrics.unauthenticated.inc({ reason });
            this.logger.warn({ reason, seq: msg.seq, bytes: msg.data.length }, 'flow batch without a valid ingest signature terminated');
            settle(() => msg.term());
            span.setStatus({ code: 2, message: 'unauthenticated' });
            span.end();
            return;
          }
        }
        let event: FlowBatchEvent;
        try {
          event = decodeFlowBatch(msg.data);
        } catch (err) {
          this.metrics.decodeFailures.inc();
          this.logger.warn({ err: (err as Error).message, seq: msg.seq, bytes: msg.data.length }, 'undecodable flow batch terminated');
          // No reason text: servers before 2.10.4 ignore a `+TERM <reason>` and would redeliver the message.
          settle(() => msg.term());
          span.setStatus({ code: 2, message: 'undecodable' });
          span.end();
          return;
        }
        span.setAttributes({ 'clarion.tenant_id': event.tenantId, 'messaging.message.id': `${event.batchId}.${event.part}`, 'clarion.flows': event.flows.length });
        // Long merges (a slow database) must not look like a lost consumer to JetStream.
        const keepAlive = setInterval(() => {
          if (!entry.settled) msg.working();
        }, Math.max(1000, Math.floor(this.options.ackWaitMs / 3)));
        keepAlive.unref();
        try {
          const outcome = await this.processor.process(event, () => settle(() => msg.ack()));
          settle(() => msg.ack());
          span.setAttribute('clarion.outcome', outcome.kind);
        } catch (err) {
          span.recordException(err as Error);
          span.setStatus({ code: 2 });
          if (pgCode(err) === '23503') {
            // The tenant no longer exists: redelivering cannot help.
            this.metrics.processingErrors.inc({ reason: 'unknown_tenant' });
            this.logger.warn({ tenantId: event.tenantId, batchId: event.batchId }, 'flow batch of an unknown tenant terminated');
            settle(() => msg.term());
          } else {
            this.metrics.processingErrors.inc({ reason: 'database' });
            const deliveries = Math.max(1, msg.info.redeliveryCount);
            const delay = Math.min(MAX_RETRY_DELAY_MS, this.options.retryDelayMs * 2 ** Math.min(deliveries - 1, 16));
            this.logger.warn({ err, tenantId: event.tenantId, batchId: event.batchId, part: event.part, deliveries, retryInMs: delay }, 'flow batch failed; redelivering later');
            settle(() => msg.nak(delay));
          }
        } finally {
          clearInterval(keepAlive);
          span.end();
        }
      },
    );
  }

  private async refreshPending(): Promise<void> {
    const consumer = this.consumer;
    if (!consumer || !this.consuming) return;
    try {
      const info = await consumer.info();
      this.metrics.consumerPending.set(info.num_pending);
    } catch (err) {
      this.logger.debug({ err: (err as Error).message }, 'could not read the consumer backlog');
    }
  }
}
