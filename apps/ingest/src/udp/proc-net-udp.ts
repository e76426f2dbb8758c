import { readFile } from 'node:fs/promises';

export interface KernelUdpSocketState {
  /** Bytes the kernel holds for the port's sockets, received and not yet read by the process. */
  queuedBytes: number;
  /** Datagrams the kernel dropped because a socket's receive buffer was full. */
  drops: number;
}

/**
 * What the kernel reports for the UDP sockets bound to each of `ports` (summed over the sockets of a port), from
 * /proc/net/udp and /proc/net/udp6 (Linux; columns `local_address` `port` in hex, `tx_queue:rx_queue` in hex,
 * `drops` last). Empty where those files do not exist.
 */
export async function kernelUdpSockets(ports: readonly number[]): Promise<Map<number, KernelUdpSocketState>> {
  const states = new Map<number, KernelUdpSocketState>();
  const wanted = new Set(ports);
  for (const file of ['/proc/net/udp', '/proc/net/udp6']) {
    const text = await readFile(file, 'utf8').catch(() => undefined);
    if (text !== undefined) addProcNetUdp(text, wanted, states);
  }
  return states;
}

/** Adds the sockets of one /proc/net/udp{,6} table bound to a wanted port to `states`. */
export function addProcNetUdp(text: string, wanted: ReadonlySet<number>, states: Map<number, KernelUdpSocketState>): void {
  for (const line of text.split('\n').slice(1)) {
    const columns = line.trim().split(/\s+/);
    if (columns.length < 13) continue;
    const port = parseInt(columns[1].split(':')[1] ?? '', 16);
    if (!wanted.has(port)) continue;
    const state = states.get(port) ?? { queuedBytes: 0, drops: 0 };
    state.queuedBytes += parseInt(columns[4].split(':')[1] ?? '', 16) || 0;
    state.drops += Number(columns[columns.length - 1]) || 0;
    states.set(port, state);
  }
}
