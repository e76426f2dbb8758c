import { analyseImpact, evaluatePolicy, ImpactRisk, replayFlows } from './impact-analysis';
import { PolicyMatrix, type PolicyFlow } from './policy-matrix';
import { generateSgacls, renderCiscoCli, renderSgaclJson, type PolicyProposal } from './sgacl';
import { IP_PROTOCOL } from './service-ports';

const T0 = Date.UTC(2024, 0, 1, 9);
const NAMES: Record<number, string> = { 0: 'Unknown', 2: 'Employees', 10: 'Servers', 20: 'Printers' };
const namer = (sgt: number): string => NAMES[sgt] ?? `SGT_${sgt}`;
const MEMBERSHIP: Record<string, number> = { 'ip:10.0.0.1': 2, 'ip:10.0.0.2': 2, 'ip:10.0.1.1': 10, 'ip:10.0.2.1': 20 };
const membershipOf = (endpoint: string): number | null => MEMBERSHIP[endpoint] ?? null;

function flows(count: number, src: string, dst: string, protocol: number, port: number, extra: Partial<PolicyFlow> = {}): PolicyFlow[] {
  return Array.from({ length: count }, (_, i) => ({
    srcEndpoint: src,
    dstEndpoint: dst,
    srcPort: 50000 + i,
    dstPort: port,
    protocol,
    tcpFlags: 0,
    bytes: 1000,
    packets: 2,
    startMs: T0 + i * 1000,
    endMs: T0 + i * 1000 + 500,
    ...extra,
  }));
}

function observedMatrix(): PolicyMatrix {
  const matrix = new PolicyMatrix();
  const all = [
    ...flows(200, 'ip:10.0.0.1', 'ip:10.0.1.1', IP_PROTOCOL.TCP, 443),
    ...flows(30, 'ip:10.0.0.2', 'ip:10.0.1.1', IP_PROTOCOL.UDP, 53),
    ...flows(1, 'ip:10.0.0.1', 'ip:10.0.1.1', IP_PROTOCOL.TCP, 22),
    ...flows(50, 'ip:10.0.0.1', 'ip:10.0.2.1', IP_PROTOCOL.TCP, 9100),
    ...flows(20, 'ip:10.0.0.2', 'ip:10.0.2.1', IP_PROTOCOL.UDP, 161),
    ...flows(5, 'ip:10.0.0.1', 'ip:10.0.2.1', IP_PROTOCOL.TCP, 80),
  ];
  for (const f of all) matrix.addFlow(f, membershipOf);
  return matrix;
}

describe('PolicyMatrix', () => {
  it('aggregates services per group pair with counts, distinct endpoints and first/last seen', () => {
    const cell = observedMatrix().cell(2, 10)!;
    expect(cell.flows).toBe(231);
    expect(cell.services[0]).toEqual({
      protocol: IP_PROTOCOL.TCP, port: 443, flows: 200, bytes: 200_000, distinctSources: 1, distinctDestinations: 1,
      firstSeenMs: T0, lastSeenMs: T0 + 199_500,
    });
    expect(cell.services.map((s) => s.port)).toEqual([443, 53, 22]);
  });

  it('counts a response record towards the client-to-server cell of its connection', () => {
    const matrix = new PolicyMatrix();
    matrix.addFlow({ ...flows(1, 'ip:10.0.1.1', 'ip:10.0.0.1', IP_PROTOCOL.TCP, 50123)[0], srcPort: 443 }, membershipOf);
    expect(matrix.cells().map((c) => [c.srcSgt, c.dstSgt, c.services[0].port])).toEqual([[2, 10, 443]]);
  });

  it('takes SGTs from flow tags first, then memberships, else Unknown', () => {
    const matrix = new PolicyMatrix();
    matrix.addFlow(flows(1, 'ip:10.0.0.1', 'ip:10.9.9.9', IP_PROTOCOL.TCP, 443, { srcSgt: 5 })[0], membershipOf);
    matrix.addFlow(flows(1, 'ip:10.0.0.1', 'ip:10.9.9.9', IP_PROTOCOL.TCP, 443, { srcSgt: 0 })[0], membershipOf);
    expect(matrix.cells().map((c) => [c.srcSgt, c.dstSgt])).toEqual([[2, 0], [5, 0]]);
  });

  it('merges matrices from two collectors into the matrix of all flows', () => {
    const a = new PolicyMatrix();
    const b = new PolicyMatrix();
    const all = flows(40, 'ip:10.0.0.1', 'ip:10.0.1.1', IP_PROTOCOL.TCP, 443);
    all.forEach((f, i) => (i % 2 ? a : b).addFlow(f, membershipOf));
    const whole = new PolicyMatrix();
    all.forEach((f) => whole.addFlow(f, membershipOf));
    expect(a.mergeFrom(b).cells()).toEqual(whole.cells());
  });
});

describe('SGACL generation', () => {
  it('renders the exact Cisco CLI for a small matrix', () => {
    const proposal = generateSgacls(observedMatrix(), namer);
    expect(renderCiscoCli(proposal)).toBe(
      [
        'ip access-list role-based EMPLOYEES_TO_SERVERS',
        ' permit tcp dst eq 443',
        ' permit udp dst eq 53',
        ' deny ip log',
        '!',
        'ip access-list role-based EMPLOYEES_TO_PRINTERS',
        ' permit tcp dst eq 9100',
        ' permit udp dst eq 161',
        ' deny ip log',
        '!',
        'cts role-based permissions from 2 to 10 EMPLOYEES_TO_SERVERS',
        'cts role-based permissions from 2 to 20 EMPLOYEES_TO_PRINTERS',
        '',
      ].join('\n'),
    );
  });

  it('renders the same policy as JSON', () => {
    const json = renderSgaclJson(generateSgacls(observedMatrix(), namer), namer);
    expect(json.sgacls[1]).toEqual({
      source: { sgt: 2, name: 'Employees' },
      destination: { sgt: 20, name: 'Printers' },
      name: 'EMPLOYEES_TO_PRINTERS',
      rules: [
        { action: 'permit', protocol: 'tcp', port: 9100, text: 'permit tcp dst eq 9100' },
        { action: 'permit', protocol: 'udp', port: 161, text: 'permit udp dst eq 161' },
        { action: 'deny', protocol: 'ip', log: true, text: 'deny ip log' },
      ],
    });
  });

  it('honours configured thresholds and a denying default policy', () => {
    const proposal = generateSgacls(observedMatrix(), namer, { minFlows: 1, minShare: 0, logDeny: false, defaultAction: 'deny' });
    const cli = renderCiscoCli(proposal);
    expect(cli).toContain(' permit tcp dst eq 22\n');
    expect(cli).toContain(' permit tcp dst eq 80\n');
    expect(cli).toContain(' deny ip\n');
    expect(cli).toContain('cts role-based permissions default DEFAULT_DENY_IP_LOG\n');
    const strict = generateSgacls(observedMatrix(), namer, { minShare: 0.2 });
    expect(strict.sgacls[0].rules.map((r) => r.port)).toEqual([443, undefined]);
  });
});

describe('impact analysis', () => {
  it('marks a denied DNS flow as critical', () => {
    const matrix = new PolicyMatrix();
    [...flows(500, 'ip:10.0.0.1', 'ip:10.0.1.1', IP_PROTOCOL.TCP, 443), ...flows(5, 'ip:10.0.0.2', 'ip:10.0.1.1', IP_PROTOCOL.UDP, 53)].forEach((f) =>
      matrix.addFlow(f, membershipOf),
    );
    // DNS is below the 10-flow permit threshold, so the generated SGACL denies it.
    const report = analyseImpact(generateSgacls(matrix, namer), matrix);
    expect(report.blocked).toHaveLength(1);
    expect(report.blocked[0]).toMatchObject({ srcSgt: 2, dstSgt: 10, protocol: IP_PROTOCOL.UDP, port: 53, flows: 5, risk: ImpactRisk.CRITICAL, deniedBy: 'EMPLOYEES_TO_SERVERS rule 2' });
    expect(report.blockedByRisk.critical).toBe(1);
    expect(report.blockedFlows).toBe(5);
    expect(report.totalFlows).toBe(505);
  });

  it('rates frequent SSH high, rare SSH medium, and an unlisted rare service low', () => {
    const proposal: PolicyProposal = {
      defaultAction: 'permit',
      sgacls: [{ srcSgt: 2, dstSgt: 10, name: 'ONLY_WEB', rules: [{ action: 'permit', protocol: IP_PROTOCOL.TCP, port: 443 }, { action: 'deny', protocol: 'ip', log: true }] }],
    };
    const frequent = replayFlows(proposal, flows(150, 'ip:10.0.0.1', 'ip:10.0.1.1', IP_PROTOCOL.TCP, 22), membershipOf);
    const rare = replayFlows(proposal, flows(3, 'ip:10.0.0.1', 'ip:10.0.1.1', IP_PROTOCOL.TCP, 22), membershipOf);
    const other = replayFlows(proposal, flows(3, 'ip:10.0.0.1', 'ip:10.0.1.1', IP_PROTOCOL.TCP, 8081), membershipOf);
    expect(frequent.blocked[0].risk).toBe(ImpactRisk.HIGH);
    expect(rare.blocked[0].risk).toBe(ImpactRisk.MEDIUM);
    expect(other.blocked[0].risk).toBe(ImpactRisk.LOW);
    expect(replayFlows(proposal, flows(10, 'ip:10.0.0.1', 'ip:10.0.1.1', IP_PROTOCOL.TCP, 443), membershipOf).blocked).toEqual([]);
  });

  it('applies the default policy to cells without an SGACL', () => {
    const denyAll: PolicyProposal = { defaultAction: 'deny', sgacls: [] };
    const report = replayFlows(denyAll, flows(2, 'ip:10.0.0.1', 'ip:10.0.2.1', IP_PROTOCOL.TCP, 9100), membershipOf);
    expect(report.blocked[0]).toMatchObject({ dstSgt: 20, deniedBy: 'default policy' });
    expect(evaluatePolicy({ defaultAction: 'permit', sgacls: [] }, 2, 20, IP_PROTOCOL.TCP, 9100).action).toBe('permit');
  });
});
