/** How much may wait for lookups: a flood of packets from addresses nobody knows stays this small. */
export interface PendingLimits {
  perExporterPackets: number;
  perExporterBytes: number;
  totalBytes: number;
  exporters: number;
}

export const DEFAULT_PENDING_LIMITS: PendingLimits = { perExporterPackets: 512, perExporterBytes: 1024 * 1024, totalBytes: 16 * 1024 * 1024, exporters: 1024 };

export interface HeldPacket {
  packet: Uint8Array;
  receivedAtMs: number;
}

/**
 * Packets of exporters whose tenant is being looked up (first sight of an exporter or tenant), kept in arrival order
 * and handed back once the lookup settles, so the first export of a new exporter (its templates included) is decoded
 * rather than refused. Copies are held: the receive chunk a packet came in is not kept alive.
 */
export class PendingPackets {
  private readonly byExporter = new Map<string, { packets: HeldPacket[]; bytes: number }>();
  private bytes = 0;

  constructor(private readonly limits: PendingLimits = DEFAULT_PENDING_LIMITS) {}

  get heldBytes(): number {
    return this.bytes;
  }

  /**
   * Holds a copy of the packet until `until` settles, then calls `release` with every packet held for the exporter.
   * False (nothing held) when a bound is reached.
   */
  hold(exporter: string, packet: Uint8Array, receivedAtMs: number, until: Promise<void>, release: (packets: HeldPacket[]) => void): boolean {
    let queue = this.byExporter.get(exporter);
    if (queue === undefined) {
      if (this.byExporter.size >= this.limits.exporters) return false;
      queue = { packets: [], bytes: 0 };
      this.byExporter.set(exporter, queue);
      const held = queue;
      void until.finally(() => {
        this.byExporter.delete(exporter);
        this.bytes -= held.bytes;
        release(held.packets);
      });
    }
    if (queue.packets.length >= this.limits.perExporterPackets || queue.bytes + packet.length > this.limits.perExporterBytes || this.bytes + packet.length > this.limits.totalBytes) {
      return false;
    }
    queue.packets.push({ packet: packet.slice(), receivedAtMs });
    queue.bytes += packet.length;
    this.bytes += packet.length;
    return true;
  }
}
