import { permissionsOfRoles, type ActorDto } from '@clarion/contracts';
import { StreamHub, type StreamClient, type StreamSocket } from './stream-hub';

class FakeSocket implements StreamSocket {
  bufferedAmount = 0;
  readonly sent: string[] = [];
  send(data: string): void {
    this.sent.push(data);
  }
  closed = false;
  close(): void {
    this.closed = true;
  }
}

const TENANT_A = '00000000-0000-4000-8000-00000000000a';
const TENANT_B = '00000000-0000-4000-8000-00000000000b';

function client(tenantId: string, roles: string[]): StreamClient & { socket: FakeSocket } {
  const actor: ActorDto = { kind: 'user', tenantId, id: `${tenantId}-${roles.join()}`, permissions: permissionsOfRoles(roles) };
  return { socket: new FakeSocket(), actor };
}

describe('StreamHub', () => {
  it('sends a tenant\'s frame to that tenant\'s room only', () => {
    const hub = new StreamHub({ maxBufferedBytes: 1024 });
    const [a1, a2, b] = [client(TENANT_A, ['viewer']), client(TENANT_A, ['admin']), client(TENANT_B, ['admin'])];
    [a1, a2, b].forEach((c) => hub.join(c));
    expect(hub.publish(TENANT_A, 'clusters.updated', { tenantId: TENANT_A, reason: 'full_run' }, new Date(0))).toBe(2);
    expect(b.socket.sent).toEqual([]);
    expect(JSON.parse(a1.socket.sent[0])).toEqual({ type: 'clusters.updated', at: '1970-01-01T00:00:00.000Z', data: { tenantId: TENANT_A, reason: 'full_run' } });
    expect(a2.socket.sent).toEqual(a1.socket.sent);
  });

  it('sends each kind only to clients holding its permission', () => {
    const hub = new StreamHub({ maxBufferedBytes: 1024 });
    const viewer = client(TENANT_A, ['viewer']);
    const noRead: StreamClient & { socket: FakeSocket } = { socket: new FakeSocket(), actor: { ...viewer.actor, id: 'key', kind: 'api_key', permissions: ['flows:read'] } };
    hub.join(viewer);
    hub.join(noRead);
    hub.publish(TENANT_A, 'ingest.rates', { flows: 1 });
    hub.publish(TENANT_A, 'job.progress', { progress: 0.5 });
    expect(viewer.socket.sent.map((f) => JSON.parse(f).type)).toEqual(['ingest.rates', 'job.progress']);
    expect(noRead.socket.sent).toEqual([]);
  });

  it('drops frames for a client whose send buffer is full and counts them, and keeps serving the others', () => {
    const dropped: string[] = [];
    const hub = new StreamHub({ maxBufferedBytes: 100, onDropped: (t) => dropped.push(t) });
    const slow = client(TENANT_A, ['viewer']);
    const fast = client(TENANT_A, ['viewer']);
    slow.socket.bufferedAmount = 101;
    hub.join(slow);
    hub.join(fast);
    expect(hub.publish(TENANT_A, 'clusters.updated', {})).toBe(1);
    expect(slow.socket.sent).toEqual([]);
    expect(dropped).toEqual(['clusters.updated']);
    expect(fast.socket.sent).toHaveLength(1);
  });

  it('forgets a client that left, and an empty room', () => {
    const hub = new StreamHub({ maxBufferedBytes: 1024 });
    const a = client(TENANT_A, ['viewer']);
    hub.join(a);
    expect(hub.clientsOf(TENANT_A)).toBe(1);
    hub.leave(a);
    expect(hub.size).toBe(0);
    expect(hub.publish(TENANT_A, 'clusters.updated', {})).toBe(0);
  });

  it('survives a socket that throws on send', () => {
    const dropped: string[] = [];
    const hub = new StreamHub({ maxBufferedBytes: 1024, onDropped: (t) => dropped.push(t) });
    const broken = client(TENANT_A, ['viewer']);
    broken.socket.send = () => {
      throw new Error('closed');
    };
    const fine = client(TENANT_A, ['viewer']);
    hub.join(broken);
    hub.join(fine);
    expect(hub.publish(TENANT_A, 'clusters.updated', {})).toBe(1);
    expect(dropped).toEqual(['clusters.updated']);
  });
});
