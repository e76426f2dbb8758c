import { createSocket } from 'node:dgram';
import { addProcNetUdp, kernelUdpSockets, type KernelUdpSocketState } from './proc-net-udp';

// Lines as Linux 6.x writes them (read off this machine: nfcapd stopped with a NetFlow v5 datagram queued on 29995).
const UDP = [
  '   sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode ref pointer drops            ',
  '   87: 0100007F:752B 00000000:0000 07 00000000:00000340 00:00000000 00000000     0        0 11678 2 0000000061f1ae26 0         ',
  '  120: 00000000:0801 00000000:0000 07 00000000:00000000 00:00000000 00000000     0        0 11700 2 0000000061f1ae27 17        ',
  '',
].join('\n');
const UDP6 = [
  '  sl  local_address                         remote_address                        st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode ref pointer drops',
  '   87: 00000000000000000000000000000000:752B 00000000000000000000000000000000:0000 07 00000000:00000100 00:00000000 00000000     0        0 11679 2 0000000061f1ae28 3',
].join('\n');

describe('kernel UDP socket state (/proc/net/udp)', () => {
  it('sums the receive queue (hex bytes) and drops of the sockets bound to each wanted port, over both tables', () => {
    const states = new Map<number, KernelUdpSocketState>();
    addProcNetUdp(UDP, new Set([29995, 2049]), states);
    addProcNetUdp(UDP6, new Set([29995, 2049]), states);
    expect(Object.fromEntries(states)).toEqual({
      29995: { queuedBytes: 0x340 + 0x100, drops: 3 },
      2049: { queuedBytes: 0, drops: 17 },
    });
  });

  it('leaves out ports not asked for, the header and short lines', () => {
    const states = new Map<number, KernelUdpSocketState>();
    addProcNetUdp(`${UDP}\n  9: short line\n`, new Set([53]), states);
    expect(states.size).toBe(0);
  });

  it('reads a real socket of this process from the kernel (Linux)', async () => {
    const socket = createSocket('udp4');
    await new Promise<void>((r) => socket.bind(0, '127.0.0.1', () => r()));
    try {
      const port = socket.address().port;
      const states = await kernelUdpSockets([port]);
      expect(states.get(port)).toEqual({ queuedBytes: expect.any(Number), drops: 0 });
    } finally {
      socket.close();
    }
  });
});
