import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildEnterprise, roleCounts, truthOf } from './enterprise';
import { writeTruth } from './ground-truth';
import { GROUPS, ROLES, ROLE_NAMES } from './role-archetypes';

describe('buildEnterprise', () => {
  it('is the same enterprise for the same seed and a different one for another seed', () => {
    const a = buildEnterprise({ seed: 42, endpoints: 400, noise: 0.1 });
    const b = buildEnterprise({ seed: 42, endpoints: 400, noise: 0.1 });
    const c = buildEnterprise({ seed: 43, endpoints: 400, noise: 0.1 });
    expect(a.endpoints.map(truthOf)).toEqual(b.endpoints.map(truthOf));
    expect(a.endpoints.map((e) => e.mac)).not.toEqual(c.endpoints.map((e) => e.mac));
  });

  it('has the requested size, every archetype, one gateway, and the share of irregular endpoints asked for', () => {
    const e = buildEnterprise({ seed: 1, endpoints: 1000, noise: 0.1 });
    expect(e.endpoints).toHaveLength(1001);
    expect(e.endpoints.filter((x) => x.role === 'internet-gateway')).toEqual([e.gateway]);
    expect(e.endpoints.filter((x) => x.role === 'irregular')).toHaveLength(100);
    for (const role of ROLE_NAMES) expect(e.byRole.get(role)!.length).toBeGreaterThan(0);
    // Shares follow the default weights (workstations 30 %, phones 14 %...).
    expect(e.byRole.get('workstation')!.length).toBeGreaterThan(e.byRole.get('voip-phone')!.length);
    expect(e.byRole.get('directory-server')!.length).toBeGreaterThanOrEqual(2);
  });

  it('applies a role mix, removing roles set to 0 and keeping the servers the remaining roles need', () => {
    const mix = Object.fromEntries(ROLE_NAMES.map((r) => [r, 0]));
    const counts = roleCounts(50, { ...mix, workstation: 1, 'ip-camera': 1 });
    // Explicitly removed roles stay removed, even the ones workstations would use.
    expect(counts.get('file-server')).toBe(0);
    expect(counts.get('nvr')).toBe(0);
    expect(counts.get('workstation')! + counts.get('ip-camera')!).toBe(50);
    const defaults = roleCounts(30, { workstation: 10, 'ip-camera': 10 });
    expect(defaults.get('nvr')).toBeGreaterThanOrEqual(1);
    expect(defaults.get('directory-server')).toBeGreaterThanOrEqual(2);
    expect([...defaults.values()].reduce((a, b) => a + b, 0)).toBe(30);
  });

  it('gives every endpoint a unique unicast MAC (vendor prefixes, random local ones for guests) and a unique address', () => {
    const e = buildEnterprise({ seed: 9, endpoints: 3000, noise: 0.05 });
    const macs = e.endpoints.map((x) => x.mac);
    expect(new Set(macs).size).toBe(macs.length);
    expect(new Set(e.endpoints.map((x) => x.ipv4)).size).toBe(e.endpoints.length);
    for (const x of e.endpoints) {
      expect(x.mac).toMatch(/^([0-9a-f]{2}:){5}[0-9a-f]{2}$/);
      const first = parseInt(x.mac.slice(0, 2), 16);
      expect(first & 1).toBe(0);
      if (x.role === 'guest-device') expect(first & 2).toBe(2);
      else if (x.role !== 'irregular') expect(ROLES[x.role as keyof typeof ROLES]?.ouis ?? ['00:00:0c']).toContain(x.mac.slice(0, 8));
    }
  });

  it('puts each role group in its VLAN and subnet, with the role SGT', () => {
    const e = buildEnterprise({ seed: 2, endpoints: 500 });
    for (const x of e.endpoints) {
      expect(x.vlan).toBe(GROUPS[x.group].vlan);
      if (x.role !== 'irregular' && x.role !== 'internet-gateway') {
        expect(x.group).toBe(ROLES[x.role].group);
        expect(x.sgt).toBe(ROLES[x.role].sgt);
        expect(Number(x.ipv4.split('.')[1]) & 0xf0).toBe(GROUPS[x.group].subnetOctet);
      }
    }
  });

  it('writes the ground truth of every endpoint as JSON lines or CSV, keyed by MAC like clustering keys endpoints', () => {
    const e = buildEnterprise({ seed: 5, endpoints: 120, noise: 0.1, ipv6Share: 0.5 });
    const dir = mkdtempSync(join(tmpdir(), 'simulator-truth-'));
    try {
      expect(writeTruth(e, join(dir, 'nested', 'truth.jsonl'))).toBe(121);
      const lines = readFileSync(join(dir, 'nested', 'truth.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
      expect(lines).toHaveLength(121);
      expect(lines[0]).toEqual(truthOf(e.endpoints[0]));
      for (const line of lines) expect(line.key).toBe(`mac:${line.mac}`);
      expect(lines.filter((l) => l.irregular).length).toBe(12);
      expect(lines.some((l) => l.ipv6 !== null)).toBe(true);

      writeTruth(e, join(dir, 'truth.csv'));
      const csv = readFileSync(join(dir, 'truth.csv'), 'utf8').trim().split('\n');
      expect(csv[0]).toBe('key,mac,ip,ipv6,role,group,vlan,sgt,irregular,pattern,variant,exporter');
      expect(csv).toHaveLength(122);
      expect(csv[1].startsWith(`mac:${e.endpoints[0].mac},${e.endpoints[0].mac},${e.endpoints[0].ipv4},`)).toBe(true);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('spreads endpoints over the exporters, each with its own switch ports', () => {
    const e = buildEnterprise({ seed: 3, endpoints: 200, exporters: 4 });
    const perExporter = [0, 1, 2, 3].map((i) => e.endpoints.filter((x) => x.exporter === i));
    for (const members of perExporter) {
      expect(members.length).toBeGreaterThan(40);
      const ports = members.filter((x) => x !== e.gateway).map((x) => x.ifIndex);
      expect(new Set(ports).size).toBe(ports.length);
    }
  });
});
