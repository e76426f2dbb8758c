// Runs the simulator: builds the enterprise, writes the ground truth, and sends the generated flows as NetFlow v9 or
// IPFIX from one UDP socket per exporter, paced by the simulated clock and capped by the flow rate, with a stats line
// every few seconds, until a bound is reached or `stop()` is called.
import { createSocket, type Socket } from 'node:dgram';
import { lookup } from 'node:dns/promises';
import { isIP } from 'node:net';
import { buildEnterprise, type Enterprise } from './enterprise';
import { ExportEncoder } from './export-encoder';
import { FlowGenerator } from './flow-generator';
import { writeTruth } from './ground-truth';
import { DAY_MS } from './rhythm';
import { SeededRandom } from './seeded-random';
import { type SimulatedFlow } from './simulated-flow';
import { type SimulatorOptions } from './simulator-options';

export type LogFields = Record<string, string | number | boolean | null | Record<string, number>>;
export type Logger = (message: string, fields?: LogFields) => void;

export interface RunSummary {
  flows: number;
  packets: number;
  bytes: number;
  templatePackets: number;
  sendErrors: number;
  elapsedMs: number;
  simTimeMs: number;
  /** Why it stopped: a bound, or a stop request. */
  reason: 'flows' | 'duration' | 'sim-days' | 'stopped';
}

/**
 * An exporter sends when it has a full packet's worth of records, or when its oldest record has waited this long
 * (real time), like a router's export buffer; at demo rates this keeps packets full instead of one per tick.
 */
const FLUSH_MS = 1000;
/** Sends in flight (socket callbacks not yet run) before the generator waits. */
const MAX_IN_FLIGHT = 256;
/** Flows generated per step: small enough to keep the event loop responsive. */
const STEP_FLOWS = 4096;
const IDLE_WAIT_MS = 20;

interface Exporter {
  socket: Socket;
  encoder: ExportEncoder;
  /** Records waiting for a full packet, and since when (real time). */
  pending: SimulatedFlow[];
  pendingSince: number;
}

export class SimulatorRunner {
  private stopping = false;
  private wake: (() => void) | null = null;
  private inFlight = 0;
  private drained: (() => void) | null = null;
  private readonly totals = { flows: 0, packets: 0, bytes: 0, templatePackets: 0, sendErrors: 0 };
  private lastSendError = '';

  constructor(
    private readonly options: SimulatorOptions,
    private readonly log: Logger,
    private readonly clock: () => number = Date.now,
  ) {}

  /** Asks the run to finish: it flushes what it generated, closes its sockets and resolves `run`. */
  stop(): void {
    this.stopping = true;
    this.wake?.();
  }

  async run(): Promise<RunSummary> {
    const o = this.options;
    const enterprise = buildEnterprise({
      seed: o.seed,
      endpoints: o.endpoints,
      mix: o.mix,
      noise: o.noise,
      exporters: o.exporters,
      ipv6Share: o.ipv6Share,
    });
    if (o.truthPath) writeTruth(enterprise, o.truthPath);
    const generator = new FlowGenerator(enterprise, {
      startMs: o.startMs,
      utcOffsetMinutes: o.utcOffsetMinutes,
      activeTimeoutMs: o.activeTimeoutS * 1000,
      sgtShare: o.sgtShare,
    });
    const address = isIP(o.targetHost) ? o.targetHost : (await lookup(o.targetHost)).address;
    const exporters = await this.openExporters(enterprise, address);
    this.log('started', {
      target: `${address}:${o.targetPort}`,
      protocol: o.version === 9 ? 'v9' : 'ipfix',
      exporters: exporters.map((e) => `${e.socket.address().address}:${e.socket.address().port}/${e.encoder.observationDomain}`).join(' '),
      endpoints: enterprise.endpoints.length,
      roles: roleCounts(enterprise),
      seed: o.seed,
      truth: o.truthPath,
      sim_start: new Date(o.startMs).toISOString(),
      day_minutes: o.dayMinutes,
      rate: o.rate,
    });

    // Templates first, before any data (RFC 7011 section 8: a collector cannot decode data without them).
    for (const exporter of exporters) this.sendTemplates(exporter, o.startMs, address);

    const realStart = this.clock();
    const simEnd = o.simDays === null ? Infinity : o.startMs + o.simDays * DAY_MS;
    const speed = o.dayMinutes > 0 ? 1440 / o.dayMinutes : Infinity;
    // Once a compressed replay of the past catches up with the wall clock, it follows the wall clock.
    const followWallClock = !o.allowFuture && o.startMs <= realStart;
    const simTarget = (realNow: number): number => {
      let target = speed === Infinity ? Infinity : o.startMs + (realNow - realStart) * speed;
      if (followWallClock) target = Math.min(target, realNow);
      return Math.min(target, simEnd);
    };

    const templateTimer = setInterval(() => {
      for (const exporter of exporters) {
        exporter.encoder.refreshTemplates();
        // Idle exporters announce their templates too, as real ones do.
        this.sendTemplates(exporter, generator.timeMs, address);
      }
    }, o.templateRefreshS * 1000);
    let interval = { at: realStart, flows: 0, packets: 0 };
    const statsTimer = setInterval(() => {
      const now = this.clock();
      const seconds = Math.max(0.001, (now - interval.at) / 1000);
      const target = simTarget(now);
      this.log('stats', {
        flows_per_s: Math.round((this.totals.flows - interval.flows) / seconds),
        packets_per_s: Math.round((this.totals.packets - interval.packets) / seconds),
        flows: this.totals.flows,
        packets: this.totals.packets,
        sim_time: new Date(generator.timeMs).toISOString(),
        // How far the simulated clock is behind where pacing wants it (only meaningful with a clock).
        sim_lag_s: speed !== Infinity && Number.isFinite(target) ? Math.max(0, Math.round((target - generator.timeMs) / 100) / 10) : null,
        send_errors: this.totals.sendErrors,
      });
      interval = { at: now, flows: this.totals.flows, packets: this.totals.packets };
    }, o.statsIntervalS * 1000);

    let reason: RunSummary['reason'] = 'stopped';
    let tokens = 0;
    let tokensAt = realStart;
    let generated = 0;
    const batch: SimulatedFlow[] = [];
    try {
      while (!this.stopping) {
        const now = this.clock();
        if (o.durationS !== null && now - realStart >= o.durationS * 1000) {
          reason = 'duration';
          break;
        }
        let budget = STEP_FLOWS;
        if (o.rate > 0) {
          // Token bucket: at most half a second of burst.
          tokens = Math.min(o.rate * 0.5, tokens + ((now - tokensAt) / 1000) * o.rate);
          tokensAt = now;
          budget = Math.min(budget, Math.floor(tokens));
        }
        if (o.flows !== null) budget = Math.min(budget, o.flows - generated);
        let produced = 0;
        batch.length = 0;
        if (budget > 0) {
          produced = generator.generate(simTarget(now), budget, batch);
          tokens -= produced;
          generated += produced;
        }
        const finished = o.flows !== null && generated >= o.flows;
        this.dispatch(batch, exporters, generator.timeMs, address, finished);
        if (finished) {
          reason = 'flows';
          break;
        }
        if (generator.timeMs >= simEnd && produced < budget) {
          reason = 'sim-days';
          break;
        }
        if (this.inFlight >= MAX_IN_FLIGHT) await this.waitForDrain();
        else if (produced < budget || budget === 0) await this.sleep(IDLE_WAIT_MS);
        else await new Promise<void>((resolve) => setImmediate(resolve));
      }
      // Whatever the exporters still hold goes out before the sockets close.
      this.dispatch([], exporters, generator.timeMs, address, true);
    } finally {
      clearInterval(templateTimer);
      clearInterval(statsTimer);
      await this.flush(2000);
      for (const exporter of exporters) exporter.socket.close();
    }
    const elapsedMs = this.clock() - realStart;
    const summary: RunSummary = { ...this.totals, elapsedMs, simTimeMs: generator.timeMs, reason };
    this.log('finished', {
      reason,
      flows: summary.flows,
      packets: summary.packets,
      bytes: summary.bytes,
      template_packets: summary.templatePackets,
      send_errors: summary.sendErrors,
      elapsed_s: Math.round(elapsedMs / 100) / 10,
      flows_per_s: Math.round(summary.flows / Math.max(0.001, elapsedMs / 1000)),
      packets_per_s: Math.round(summary.packets / Math.max(0.001, elapsedMs / 1000)),
      sim_time: new Date(generator.timeMs).toISOString(),
    });
    return summary;
  }

  private async openExporters(enterprise: Enterprise, targetAddress: string): Promise<Exporter[]> {
    const type = isIP(targetAddress) === 6 ? 'udp6' : 'udp4';
    const o = this.options;
    // Exporter uptimes: each "switch" booted some days before the simulation starts.
    const rng = new SeededRandom(o.seed ^ 0x0b007);
    const exporters: Exporter[] = [];
    for (let i = 0; i < enterprise.exporters; i++) {
      const socket = createSocket({ type, sendBufferSize: 4 * 1024 * 1024 });
      // Feeding a local collector, the sockets need not listen beyond loopback.
      const loopback = targetAddress === '127.0.0.1' || targetAddress === '::1' ? targetAddress : undefined;
      const bindAddress = o.bind.length > 0 ? o.bind[i % o.bind.length] : loopback;
      await new Promise<void>((resolve, reject) => {
        socket.once('error', reject);
        socket.bind({ port: 0, address: bindAddress }, () => {
          socket.off('error', reject);
          resolve();
        });
      });
      socket.on('error', (err) => this.sendFailed(err));
      const encoder = new ExportEncoder({
        version: o.version,
        observationDomain: (o.observationDomain + i) >>> 0,
        bootMs: o.startMs - (1 + rng.int(20)) * DAY_MS - rng.int(DAY_MS),
        maxPacketBytes: o.maxPacketBytes,
        templateRefreshPackets: o.templateRefreshPackets,
        sgtFields: o.sgtFields,
      });
      exporters.push({ socket, encoder, pending: [], pendingSince: 0 });
    }
    return exporters;
  }

  /**
   * Queues flows on their exporters (keeping their order) and sends what fills whole packets, everything that has
   * waited FLUSH_MS, or everything when `all` (at the end of a run).
   */
  private dispatch(flows: readonly SimulatedFlow[], exporters: Exporter[], simNow: number, address: string, all = false): void {
    const now = this.clock();
    let exportMs = simNow;
    for (const flow of flows) {
      const exporter = exporters[flow.exporter];
      if (exporter.pending.length === 0) exporter.pendingSince = now;
      exporter.pending.push(flow);
      if (flow.endMs > exportMs) exportMs = flow.endMs;
    }
    for (const exporter of exporters) {
      const pending = exporter.pending;
      if (pending.length === 0) continue;
      const perPacket = exporter.encoder.recordsPerPacket;
      const due = all || now - exporter.pendingSince >= FLUSH_MS ? pending.length : pending.length - (pending.length % perPacket);
      if (due === 0) continue;
      for (let i = 0; i < due; i++) if (pending[i].endMs > exportMs) exportMs = pending[i].endMs;
      const encoded = exporter.encoder.encode(due === pending.length ? pending : pending.slice(0, due), exportMs);
      this.totals.flows += encoded.records;
      this.totals.templatePackets += encoded.templatePackets;
      this.send(exporter, encoded.packets, address);
      pending.splice(0, due);
      exporter.pendingSince = now;
    }
  }

  private sendTemplates(exporter: Exporter, exportMs: number, address: string): void {
    const encoded = exporter.encoder.encode([], exportMs);
    this.totals.templatePackets += encoded.templatePackets;
    this.send(exporter, encoded.packets, address);
  }

  private send(exporter: Exporter, packets: readonly Buffer[], address: string): void {
    for (const packet of packets) {
      this.inFlight++;
      this.totals.packets++;
      this.totals.bytes += packet.length;
      exporter.socket.send(packet, this.options.targetPort, address, (err) => {
        this.inFlight--;
        if (err) this.sendFailed(err);
        if (this.inFlight < MAX_IN_FLIGHT / 2 && this.drained) {
          const resolve = this.drained;
          this.drained = null;
          resolve();
        }
      });
    }
  }

  private sendFailed(err: Error): void {
    this.totals.sendErrors++;
    // One log line per kind of error, not one per packet.
    if (err.message !== this.lastSendError) {
      this.lastSendError = err.message;
      this.log('send failed', { error: err.message, send_errors: this.totals.sendErrors });
    }
  }

  private waitForDrain(): Promise<void> {
    return new Promise((resolve) => (this.drained = resolve));
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.wake = null;
        resolve();
      }, ms);
      this.wake = () => {
        clearTimeout(timer);
        this.wake = null;
        resolve();
      };
    });
  }

  /** Waits for sends in flight, at most `timeoutMs`. */
  private async flush(timeoutMs: number): Promise<void> {
    const deadline = this.clock() + timeoutMs;
    while (this.inFlight > 0 && this.clock() < deadline) await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

function roleCounts(enterprise: Enterprise): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const e of enterprise.endpoints) counts[e.role] = (counts[e.role] ?? 0) + 1;
  return counts;
}
