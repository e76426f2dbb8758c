import { Inject, Injectable, type BeforeApplicationShutdown, type OnApplicationBootstrap } from '@nestjs/common';
import { NetflowDecoder, SflowDecoder } from '@clarion/netflow';
import { SERVICE_RUNTIME, type ServiceRuntime } from '@clarion/platform';
import { join } from 'node:path';
import { FlowCollector } from './collector/flow-collector';
import { DirectoryEvents } from './events/directory-events';
import { FlowBatchPublisher } from './events/flow-batch.publisher';
import { IngestRatesReporter } from './events/ingest-rates.reporter';
import { ExporterRegistry } from './exporters/exporter-registry';
import { fieldRefsOf, listeningPortsOf, type IngestEnv } from './ingest.env';
import { IngestMetrics } from './metrics/ingest-metrics';
import { SflowInterfaceMetrics } from './metrics/sflow-interface-metrics';
import { FlowSpool } from './spool/flow-spool';
import { FlowBatcher } from './storage/flow-batcher';
import { FlowWriter } from './storage/flow-writer';
import { TemplateStore } from './templates/template-store';
import { ExporterTenantMap, parseExporterTenantMap } from './tenancy/exporter-tenant-map';
import { DatabaseDirectorySource } from './tenancy/directory-source';
import { TenantDirectory } from './tenancy/tenant-directory';
import { kernelUdpSockets } from './udp/proc-net-udp';
import { UdpListeners } from './udp/udp-listeners';

/** How long boot waits for PostgreSQL (tenants, templates) before it opens the UDP ports anyway. */
const BOOT_DATABASE_WAIT_MS = 5_000;
/** Ledger rows (flow_batches) are kept this long: a spooled batch older than that is not expected any more. */
const LEDGER_RETENTION_MS = 7 * 86_400_000;
/** Largest flow batch event: well under NATS's default 1 MiB max_payload. */
const EVENT_PART_MAX_BYTES = 512 * 1024;
/** How often per-tenant ingest rates are published for live views. */
const INGEST_RATES_INTERVAL_MS = 5_000;

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/**
 * Owns the collector's parts and their order: at boot, the spool and tenants first, then (once PostgreSQL answers, or
 * after a few seconds without it) templates restored, and only then the UDP ports; at shutdown the reverse: ports
 * closed, open batches sealed, templates and registry written, every batch committed or spooled, events published.
 */
@Injectable()
export class IngestPipeline implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private metrics!: IngestMetrics;
  private decoder!: NetflowDecoder;
  private sflow!: SflowDecoder;
  private spool!: FlowSpool;
  private tenants!: TenantDirectory;
  private directoryEvents!: DirectoryEvents;
  private writer!: FlowWriter;
  private batcher!: FlowBatcher;
  private publisher!: FlowBatchPublisher;
  private rates!: IngestRatesReporter;
  private registry!: ExporterRegistry;
  private templates!: TemplateStore;
  private collector!: FlowCollector;
  private listeners!: UdpListeners;
  private readonly timers: NodeJS.Timeout[] = [];
  private shuttingDown = false;
  private started = false;

  constructor(@Inject(SERVICE_RUNTIME) private readonly runtime: ServiceRuntime<IngestEnv>) {}

  async onApplicationBootstrap(): Promise<void> {
    // NestMicroservice.init() runs the bootstrap hooks twice (NestApplicationContext.init, then registerModules).
    if (this.started) return;
    this.started = true;
    const { env, logger, database } = this.runtime;
    this.metrics = new IngestMetrics(this.runtime.metrics.registry);
    this.decoder = new NetflowDecoder({
      maxExporters: env.INGEST_MAX_EXPORTERS,
      maxTemplatesPerExporter: env.INGEST_MAX_TEMPLATES_PER_EXPORTER,
      maxHeldAgeMs: env.INGEST_HELD_DATA_MAX_AGE_MS,
      maxHeldBytesTotal: env.INGEST_HELD_DATA_MAX_BYTES,
      sourceSgtFields: fieldRefsOf(env.INGEST_SGT_SOURCE_FIELDS),
      destinationSgtFields: fieldRefsOf(env.INGEST_SGT_DESTINATION_FIELDS),
    });
    this.sflow = new SflowDecoder({ maxAgents: env.INGEST_MAX_EXPORTERS });
    this.spool = await FlowSpool.open(env.INGEST_SPOOL_DIR, env.INGEST_SPOOL_MAX_BYTES, {
      onCorruption: (c) => {
        this.metrics.spoolDamage.inc();
        logger.error({ ...c, dir: env.INGEST_SPOOL_DIR }, 'damaged spool data skipped');
      },
    });
    if (!this.spool.isEmpty) logger.info({ batches: this.spool.pendingBatches, bytes: this.spool.bytes }, 'spooled batches from an earlier run will be replayed');
    const map = new ExporterTenantMap(parseExporterTenantMap(env.INGEST_EXPORTER_TENANTS ?? ''), env.INGEST_DEFAULT_TENANT);
    this.tenants = new TenantDirectory(map, new DatabaseDirectorySource(database), join(env.INGEST_SPOOL_DIR, 'tenants.json'), logger, {
      // A registration's sampling override is the decoder's configured rate for the exporter (used when it announces none).
      samplingChanged: (address, rate) => this.decoder.setSamplingRate(address, rate ?? undefined),
      lookedUp: (kind, outcome) => this.metrics.tenantLookups.inc({ kind, outcome }),
    });
    await this.tenants.loadCache();
    this.directoryEvents = new DirectoryEvents(this.runtime.nats, this.tenants, logger);
    this.directoryEvents.start();

    const signer = this.runtime.callers.signer;
    this.publisher = new FlowBatchPublisher(
      () => this.runtime.nats.jetstream(),
      {
        maxPendingBytes: env.INGEST_EVENTS_MAX_PENDING_BYTES,
        concurrency: 4,
        retryMs: 1_000,
        publishTimeoutMs: 5_000,
        sign: signer && ((subject, id, payload) => signer.signMessage(subject, id, payload)),
      },
      this.metrics,
      logger,
    );
    this.rates = new IngestRatesReporter(
      (subject, payload) => {
        const connection = this.runtime.nats.connection;
        if (connection === undefined || connection.isClosed()) throw new Error('NATS not connected');
        connection.publish(subject, payload);
      },
      this.runtime.instanceId,
      logger,
    );
    this.writer = new FlowWriter(
      {
        databaseUrl: env.DATABASE_URL,
        connections: env.INGEST_WRITER_CONNECTIONS,
        queueMaxRows: env.INGEST_QUEUE_MAX_ROWS,
        commitTimeoutMs: env.INGEST_COMMIT_TIMEOUT_MS,
        retryMs: env.INGEST_DB_RETRY_MS,
        partitionsAheadDays: env.INGEST_PARTITIONS_AHEAD_DAYS,
        partitionMaxPastDays: env.INGEST_PARTITION_MAX_PAST_DAYS,
        applicationName: 'clarion-ingest-writer',
      },
      this.spool,
      this.metrics,
      logger,
      (batch) => {
        this.publisher.enqueue(batch);
        this.rates.committed(batch.tenantId, batch.rowCount);
      },
    );
    this.batcher = new FlowBatcher(
      { maxRows: env.INGEST_BATCH_MAX_ROWS, maxDelayMs: env.INGEST_BATCH_MAX_DELAY_MS, eventPartMaxBytes: EVENT_PART_MAX_BYTES },
      (batch) => this.writer.submit(batch),
    );
    this.registry = new ExporterRegistry(this.decoder, this.sflow, database, logger);
    this.templates = new TemplateStore(this.decoder, database, this.tenants, logger);
    const interfaces = new SflowInterfaceMetrics(this.runtime.metrics.registry, env.INGEST_SFLOW_MAX_INTERFACES);
    this.collector = new FlowCollector(this.decoder, this.sflow, this.tenants, this.batcher, this.registry, this.templates, this.metrics, interfaces);
    const ports = listeningPortsOf(env);
    let droppedBefore = 0;
    this.listeners = new UdpListeners(
      { host: env.INGEST_UDP_HOST, ports, receiveBufferBytes: env.INGEST_UDP_RECEIVE_BUFFER_BYTES, maxQueuedBytes: env.INGEST_RECEIVE_QUEUE_MAX_BYTES },
      (packet, source, receivedAtMs) => {
        this.collector.onPacket(packet, source, receivedAtMs);
        // Back-pressure: a full writer queue pauses decoding (checked per packet: a chunk holds a few hundred).
        if (this.writer.saturated) this.listeners.setPaused(true);
      },
      logger,
      (total) => {
        if (total > droppedBefore) this.metrics.datagramsDropped.inc({ reason: 'receive_queue_full' }, total - droppedBefore);
        droppedBefore = total;
      },
    );
    this.runtime.readiness.register({
      name: 'udp',
      check: async () => {
        if (!this.listeners.listening) throw new Error('UDP listeners not open yet');
      },
    });

    this.writer.start();
    const resume = setInterval(() => {
      if (!this.writer.saturated) this.listeners.setPaused(false);
    }, 10);
    resume.unref();
    this.timers.push(resume);
    this.every(1_000, () => this.collector.tick());
    this.every(INGEST_RATES_INTERVAL_MS, () => void this.rates.report());
    this.every(env.INGEST_TEMPLATE_FLUSH_MS, () => this.templates.flush());
    this.every(env.INGEST_REGISTRY_FLUSH_MS, () => this.registry.flush());
    this.every(30_000, () => (database.ready ? this.tenants.refresh() : undefined));
    this.every(3_600_000, () => this.writer.pruneLedger(this.tenants.tenants().map((t) => t.tenantId), Date.now() - LEDGER_RETENTION_MS));
    this.every(5_000, async () => {
      for (const [port, { drops }] of await kernelUdpSockets(this.listeners.bound.map((b) => b.port))) {
        this.metrics.udpSocketDrops.set({ port: String(port) }, drops);
      }
    });
    void this.boot();
  }

  /** Background part of boot: tenants and templates from PostgreSQL (bounded wait), then the UDP ports. */
  private async boot(): Promise<void> {
    const { logger, database } = this.runtime;
    const connected = await Promise.race([database.start().then(() => true), sleep(BOOT_DATABASE_WAIT_MS).then(() => false)]);
    if (connected) await this.loadFromDatabase();
    else {
      logger.warn({ waitedMs: BOOT_DATABASE_WAIT_MS }, 'PostgreSQL not reachable: receiving flows without stored templates; they load once it is');
      void database.start().then(() => this.loadFromDatabase());
    }
    if (this.shuttingDown) return;
    try {
      await this.listeners.start();
    } catch (err) {
      logger.fatal({ err, ports: listeningPortsOf(this.runtime.env) }, 'cannot open the UDP ports');
      process.exit(1);
    }
  }

  private async loadFromDatabase(): Promise<void> {
    const { logger } = this.runtime;
    try {
      await this.tenants.refresh();
      const restored = await this.templates.restore();
      logger.info({ ...restored, tenants: this.tenants.tenants().length }, 'templates restored');
    } catch (err) {
      logger.error({ err }, 'could not load tenants and templates from PostgreSQL');
    }
  }

  private every(ms: number, work: () => unknown): void {
    let running = false;
    const timer = setInterval(() => {
      if (running) return;
      running = true;
      Promise.resolve()
        .then(work)
        .catch((err: unknown) => this.runtime.logger.warn({ err }, 'periodic ingest task failed'))
        .finally(() => (running = false));
    }, ms);
    timer.unref();
    this.timers.push(timer);
  }

  async beforeApplicationShutdown(): Promise<void> {
    if (this.shuttingDown || !this.listeners) return;
    this.shuttingDown = true;
    const { logger, env } = this.runtime;
    const deadline = Date.now() + Math.max(1_000, env.SHUTDOWN_GRACE_MS - 1_500);
    await this.listeners.close();
    this.directoryEvents.stop();
    for (const t of this.timers) clearInterval(t);
    this.batcher.sealAll();
    const pendingRows = this.writer.pendingRows;
    await Promise.race([Promise.allSettled([this.templates.flush(), this.registry.flush()]), sleep(Math.max(0, deadline - Date.now() - 1_000))]);
    await this.writer.drain(deadline);
    await this.publisher.drain(deadline);
    await this.spool.close();
    logger.info({ flushedRows: pendingRows, spooledBatches: this.spool.pendingBatches }, 'ingest drained');
  }
}
