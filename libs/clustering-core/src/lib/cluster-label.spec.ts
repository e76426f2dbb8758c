import { labelCluster, summariseCluster } from './cluster-label';
import { EndpointProfile } from './endpoint-profile';
import { SgtCategory } from './sgt';
import { synthesiseRoleFlows } from '../testing/role-flows';

function profiles(role: string, count: number, days = 3): EndpointProfile[] {
  return Array.from({ length: count }, (_, i) => {
    const self = `10.${role.length}.${i >> 8}.${i & 255}`;
    const profile = new EndpointProfile();
    for (const f of synthesiseRoleFlows(role, self, days, 100 + i)) {
      const side = f.srcAddress === self ? 'src' : 'dst';
      profile.observe(f, side, `ip:${side === 'src' ? f.dstAddress : f.srcAddress}`);
    }
    return profile;
  });
}

describe('labelCluster', () => {
  it('names printers by the share of members answering tcp/9100', () => {
    const members = [...profiles('printer', 17), ...profiles('iot-sensor', 1)];
    const label = labelCluster(summariseCluster(members));
    expect(label.label).toBe('Printers: 94 % use tcp/9100');
    expect(label.basis).toBe('behaviour');
    expect(label.category).toBe(SgtCategory.DEVICES);
    expect(label.explanation).toContain('tcp/9100 (JetDirect printing)');
    expect(label.explanation).toContain('The cluster holds 18 endpoints.');
  });

  it('names cameras and phones by their services', () => {
    expect(labelCluster(summariseCluster(profiles('camera', 5))).label).toBe('IP cameras: 100 % stream over tcp/554');
    expect(labelCluster(summariseCluster(profiles('phone', 5))).label).toMatch(/^VoIP phones: 100 % use udp\/5060$/);
  });

  it('names servers by the service they offer and their typical number of peers', () => {
    const summary = summariseCluster(profiles('web-server', 3, 2));
    const label = labelCluster(summary);
    expect(label.label).toBe(`Servers offering tcp/443 to ${summary.medianPeers} peers`);
    expect(summary.medianPeers).toBeGreaterThan(300);
    expect(label.category).toBe(SgtCategory.SERVERS);
    expect(label.sgtName).toBe('SERVERS_TCP_443');
  });

  it('calls endpoints that mostly open connections client devices', () => {
    const label = labelCluster(summariseCluster(profiles('workstation', 6)));
    expect(label.label).toBe('Client devices');
    expect(label.category).toBe(SgtCategory.USERS);
    expect(label.explanation).toMatch(/As clients they mostly use tcp\/443 \(HTTPS\) \(by 100 % of them\)/);
  });

  it('prefers the dominant imported device type over behaviour', () => {
    const members = profiles('workstation', 5);
    const identities = [{ deviceType: 'Laptop' }, { deviceType: 'Laptop' }, { deviceType: 'Laptop' }, { deviceType: 'Laptop' }, { deviceType: 'Desktop' }];
    const label = labelCluster(summariseCluster(members, identities));
    expect(label.label).toBe('Laptops');
    expect(label.basis).toBe('identity');
    expect(label.category).toBe(SgtCategory.USERS);
    expect(label.explanation).toMatch(/^80 % of the 5 endpoints in this cluster are imported as device type "Laptop"/);
  });

  it('falls back to the dominant directory group when device types are mixed', () => {
    const members = profiles('workstation', 4);
    const identities = [
      { deviceType: 'Laptop', groups: ['Finance'] },
      { deviceType: 'Desktop', groups: ['Finance', 'All staff'] },
      { deviceType: 'Tablet', groups: ['Finance'] },
      { deviceType: 'Phone', groups: ['Sales'] },
    ];
    const label = labelCluster(summariseCluster(members, identities));
    expect(label.label).toBe('Group Finance');
    expect(label.sgtName).toBe('FINANCE');
  });

  it('ignores identity when it is known for too few members', () => {
    const members = profiles('printer', 4);
    const label = labelCluster(summariseCluster(members, [{ deviceType: 'Laptop' }]));
    expect(label.basis).toBe('behaviour');
  });
});
