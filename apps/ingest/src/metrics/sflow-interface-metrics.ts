import type { SflowInterfaceCounters } from '@clarion/netflow';
import { Counter, Gauge, type Registry } from 'prom-client';

type InterfaceLabels = 'exporter' | 'if_index';
type DirectedLabels = InterfaceLabels | 'direction';

/**
 * sFlow agents' interface counters (generic interface counters of their counter samples) as Prometheus gauges: the
 * agent's own totals as last reported, so `rate()` of them is the interface's traffic, errors and discards as the
 * switch counts them, next to what the flow samples add up to. Nothing is stored in PostgreSQL. The label sets are
 * bounded: at most `maxInterfaces` (exporter, ifIndex) pairs; counters of further interfaces are counted and dropped.
 */
export class SflowInterfaceMetrics {
  private readonly octets: Gauge<DirectedLabels>;
  private readonly packets: Gauge<DirectedLabels>;
  private readonly errors: Gauge<DirectedLabels>;
  private readonly discards: Gauge<DirectedLabels>;
  private readonly up: Gauge<InterfaceLabels>;
  private readonly speed: Gauge<InterfaceLabels>;
  private readonly untracked: Counter;
  private readonly tracked = new Set<string>();

  constructor(
    registry: Registry,
    private readonly maxInterfaces: number,
  ) {
    const registers = [registry];
    const directed = (name: string, what: string) =>
      new Gauge<DirectedLabels>({
        name: `clarion_ingest_sflow_interface_${name}`,
        help: `${what} of an sFlow agent's interface as the agent last reported it (its counter: use rate()), by direction (in, out).`,
        labelNames: ['exporter', 'if_index', 'direction'],
        registers,
      });
    this.octets = directed('octets', 'Octets (ifInOctets/ifOutOctets)');
    this.packets = directed('packets', 'Unicast + multicast + broadcast packets');
    this.errors = directed('errors', 'Errors (ifInErrors/ifOutErrors)');
    this.discards = directed('discards', 'Discards (ifInDiscards/ifOutDiscards)');
    this.up = new Gauge({
      name: 'clarion_ingest_sflow_interface_up',
      help: '1 when an sFlow agent reports the interface operationally up (ifOperStatus), 0 otherwise.',
      labelNames: ['exporter', 'if_index'],
      registers,
    });
    this.speed = new Gauge({
      name: 'clarion_ingest_sflow_interface_speed_bps',
      help: 'Interface speed an sFlow agent reports (ifSpeed), bits per second.',
      labelNames: ['exporter', 'if_index'],
      registers,
    });
    this.untracked = new Counter({
      name: 'clarion_ingest_sflow_interface_counters_dropped_total',
      help: 'sFlow interface counter records not exported because INGEST_SFLOW_MAX_INTERFACES interfaces are already tracked.',
      registers,
    });
  }

  /** The number of interfaces whose counters are exported. */
  get interfaces(): number {
    return this.tracked.size;
  }

  update(counters: readonly SflowInterfaceCounters[]): void {
    for (const c of counters) {
      const ifIndex = String(c.ifIndex);
      const key = `${c.exporter}|${ifIndex}`;
      if (!this.tracked.has(key)) {
        if (this.tracked.size >= this.maxInterfaces) {
          this.untracked.inc();
          continue;
        }
        this.tracked.add(key);
      }
      const labels = { exporter: c.exporter, if_index: ifIndex };
      const inbound = { ...labels, direction: 'in' };
      const outbound = { ...labels, direction: 'out' };
      this.octets.set(inbound, c.inOctets);
      this.octets.set(outbound, c.outOctets);
      this.packets.set(inbound, c.inUnicastPackets + c.inMulticastPackets + c.inBroadcastPackets);
      this.packets.set(outbound, c.outUnicastPackets + c.outMulticastPackets + c.outBroadcastPackets);
      this.errors.set(inbound, c.inErrors);
      this.errors.set(outbound, c.outErrors);
      this.discards.set(inbound, c.inDiscards);
      this.discards.set(outbound, c.outDiscards);
      this.up.set(labels, c.operUp ? 1 : 0);
      this.speed.set(labels, c.ifSpeed);
    }
  }
}
