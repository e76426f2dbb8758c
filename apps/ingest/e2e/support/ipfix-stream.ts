// Support for the ingest *.e2e-spec.ts files only.
// eslint-disable-next-line @nx/enforce-module-boundaries -- the netflow library's packet builders, test-only by design (libs/netflow/README.md)
import { IPFIX_REALISTIC_FIELDS, buildIpfixMessage, flowFieldValues, sampleFlows, type FlowSpec } from '../../../../libs/netflow/src/testing/packet-builders';

const TEMPLATE_ID = 300;

/**
 * A synthetic IPFIX exporter with a realistic 24-field template; its flows are numbered (source address and port
 * derive from a running counter) so a test can tell every stored flow apart.
 */
export class SyntheticExporter {
  private sequence = 0;
  private next = 0;

  constructor(private readonly observationDomain = 1) {}

  templatePacket(): Uint8Array {
    return buildIpfixMessage({
      exportTimeSecs: Math.floor(Date.now() / 1000),
      sequence: this.sequence,
      observationDomain: this.observationDomain,
      sets: [{ kind: 'template', templates: [{ templateId: TEMPLATE_ID, fields: [...IPFIX_REALISTIC_FIELDS] }] }],
    });
  }

  /** The next `count` flows: flow n has source 10.x.y.z derived from n and source port 1000 + n % 60000. */
  flows(count: number): FlowSpec[] {
    const now = Date.now();
    const flows = sampleFlows(count, this.next + 1, { baseMs: now }).map((f, i) => {
      const n = this.next + i;
      return { ...f, srcAddress: `10.${(n >> 16) & 255}.${(n >> 8) & 255}.${n & 255}`, srcPort: 1000 + (n % 60_000), startMs: now - 5_000, endMs: now - 1_000 };
    });
    this.next += count;
    return flows;
  }

  dataPacket(flows: FlowSpec[]): Uint8Array {
    const packet = buildIpfixMessage({
      exportTimeSecs: Math.floor(Date.now() / 1000),
      sequence: this.sequence,
      observationDomain: this.observationDomain,
      sets: [{ kind: 'data', templateId: TEMPLATE_ID, fields: [...IPFIX_REALISTIC_FIELDS], records: flows.map((f) => flowFieldValues(IPFIX_REALISTIC_FIELDS, f)) }],
    });
    this.sequence += flows.length;
    return packet;
  }
}
