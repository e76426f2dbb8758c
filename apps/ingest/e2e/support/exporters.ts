import { parse } from 'csv-parse/sync';
import { spawn, execFile, type ChildProcess } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { mkdir, readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { kernelUdpSockets } from '../../src/udp/proc-net-udp';
import type { KnownFlow } from './known-traffic';

const run = promisify(execFile);
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

function exited(child: ChildProcess, timeoutMs: number, what: string): Promise<number | null> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(child.exitCode);
  return Promise.race([
    new Promise<number | null>((r) => child.once('exit', (code) => r(code))),
    new Promise<never>((_, reject) =>
      setTimeout(() => {
        child.kill('SIGKILL');
        reject(new Error(`${what} did not exit within ${timeoutMs} ms`));
      }, timeoutMs),
    ),
  ]);
}

/**
 * Runs softflowd over a capture and exports every flow to 127.0.0.1:port. With -r, softflowd 1.1.0 advances through the
 * file only when its main loop wakes (a control-socket request or the expiry timer, 60 s by default), and at the end of
 * the file it expires every flow, exports them and exits. So: poke it through its control socket until it exits.
 */
export async function runSoftflowd(pcap: string, port: number, version: 5 | 9 | 10, workDir: string): Promise<void> {
  await mkdir(workDir, { recursive: true });
  const ctl = join(workDir, `softflowd-${version}-${port}.ctl`);
  const child = spawn('softflowd', ['-d', '-r', pcap, '-n', `127.0.0.1:${port}`, '-v', String(version), '-p', join(workDir, `softflowd-${port}.pid`), '-c', ctl], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let log = '';
  child.stderr?.on('data', (d: Buffer) => (log += d.toString()));
  const done = exited(child, 20_000, 'softflowd');
  try {
    while (child.exitCode === null && child.signalCode === null) {
      await sleep(100);
      await run('softflowctl', ['-c', ctl, 'statistics']).catch(() => undefined);
    }
    const code = await done;
    if (code !== 0) throw new Error(`softflowd exited with ${code}: ${log}`);
  } finally {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  }
}

/**
 * Runs pmacct's pmacctd over a capture with the nfprobe plugin exporting to 127.0.0.1:port. pmacctd keeps waiting after
 * the file (pcap_savefile_wait) so the plugin is not cut off; SIGINT then makes nfprobe export every flow and exit.
 */
export async function runPmacctd(pcap: string, port: number, version: 9 | 10, workDir: string): Promise<void> {
  await runPmacctdPlugin(pcap, ['plugins: nfprobe', `nfprobe_receiver: 127.0.0.1:${port}`, `nfprobe_version: ${version}`], `nfprobe-${port}`, workDir);
}

export interface SfprobeOptions {
  /** pmacctd's own 1-in-N packet sampling (random), which sfprobe announces as each flow sample's sampling rate. */
  samplingRate: number;
  /** Agent address and sub-agent id sfprobe writes into the datagram header. */
  agent: string;
  subAgentId: number;
}

/**
 * Runs pmacctd over a capture with the sfprobe plugin: an sFlow v5 agent sending a flow sample (sampled header of the
 * frame, extended switch) per sampled packet to 127.0.0.1:port.
 */
export async function runPmacctdSfprobe(pcap: string, port: number, options: SfprobeOptions, workDir: string): Promise<void> {
  await runPmacctdPlugin(
    pcap,
    [
      'plugins: sfprobe',
      `sfprobe_receiver: 127.0.0.1:${port}`,
      `sfprobe_agentip: ${options.agent}`,
      `sfprobe_agentsubid: ${options.subAgentId}`,
      ...(options.samplingRate > 1 ? [`sampling_rate: ${options.samplingRate}`] : []),
    ],
    `sfprobe-${port}`,
    workDir,
  );
}

async function runPmacctdPlugin(pcap: string, pluginLines: string[], name: string, workDir: string): Promise<void> {
  await mkdir(workDir, { recursive: true });
  const config = join(workDir, `pmacctd-${name}.conf`);
  await writeFile(
    config,
    ['daemonize: false', `pcap_savefile: ${pcap}`, 'pcap_savefile_wait: true', ...pluginLines, `pidfile: ${join(workDir, `pmacctd-${name}.pid`)}`, ''].join('\n'),
  );
  const child = spawn('pmacctd', ['-f', config], { stdio: ['ignore', 'pipe', 'pipe'] });
  let log = '';
  child.stdout?.on('data', (d: Buffer) => (log += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (log += d.toString()));
  try {
    for (let i = 0; i < 100 && !log.includes('finished reading PCAP capture file'); i++) await sleep(100);
    if (!log.includes('finished reading PCAP capture file')) throw new Error(`pmacctd did not read the capture:\n${log}`);
    await sleep(500);
    child.kill('SIGINT');
    await exited(child, 10_000, 'pmacctd');
  } finally {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  }
}

/** nfdump's collector on a port, writing into its own directory; `stop()` ends it and reads back every flow with nfdump. */
export function startNfcapd(dir: string, port: number): Promise<{ stop: () => Promise<KnownFlow[]> }> {
  return startNfdumpCollector('nfcapd', dir, port);
}

/** nfdump's sFlow collector (sfcapd, package nfdump-sflow): one flow record per flow sample, scaled by its rate. */
export function startSfcapd(dir: string, port: number): Promise<{ stop: () => Promise<KnownFlow[]> }> {
  return startNfdumpCollector('sfcapd', dir, port);
}

async function startNfdumpCollector(binary: 'nfcapd' | 'sfcapd', dir: string, port: number): Promise<{ stop: () => Promise<KnownFlow[]> }> {
  await mkdir(dir, { recursive: true });
  const child = spawn(binary, ['-w', dir, '-p', String(port), '-b', '127.0.0.1'], { stdio: 'ignore' });
  for (let i = 0; i < 100 && !(await udpPortBound(port)); i++) await sleep(50);
  if (child.exitCode !== null || !(await udpPortBound(port))) throw new Error(`${binary} did not start (exit code ${child.exitCode})`);
  return {
    stop: async () => {
      // A datagram still queued on the collector's socket when SIGTERM lands is never read (seen on a loaded CI
      // machine: softflowd had exited, nfcapd wrote no flows). Stop only once the kernel's receive queue has drained.
      for (let i = 0; i < 100 && (await udpReceiveQueueBytes(port)) > 0; i++) await sleep(50);
      await sleep(100);
      child.kill('SIGTERM');
      await exited(child, 10_000, binary);
      // sfcapd names its files like nfcapd does.
      const files = (await readdir(dir)).filter((f) => f.startsWith('nfcapd.'));
      if (files.length === 0) return [];
      const { stdout } = await run('nfdump', ['-R', dir, '-q', '-N', '-o', 'csv'], { maxBuffer: 64 * 1024 * 1024 });
      return parseNfdumpCsv(stdout);
    },
  };
}

/**
 * A UDP relay on a free loopback port: every datagram it receives is sent on to each target port (so two collectors
 * get the very same stream, whatever random sampling the exporter did), unless `drop(index, datagram)` says to drop it
 * for a target. `close()` waits for every send.
 */
export async function startUdpTee(
  targets: number[],
  drop: (index: number, datagram: Buffer, target: number) => boolean = () => false,
): Promise<{ port: number; received: Buffer[]; close: () => Promise<void> }> {
  const socket = createSocket('udp4');
  const received: Buffer[] = [];
  let pending = 0;
  socket.on('message', (datagram) => {
    const index = received.push(datagram) - 1;
    for (const target of targets) {
      if (drop(index, datagram, target)) continue;
      pending++;
      socket.send(datagram, target, '127.0.0.1', () => pending--);
    }
  });
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
  return {
    port: socket.address().port,
    received,
    close: async () => {
      for (let i = 0; i < 100 && pending > 0; i++) await sleep(20);
      await new Promise<void>((resolve) => socket.close(() => resolve()));
    },
  };
}

/** True once some socket is bound to the UDP port. */
async function udpPortBound(port: number): Promise<boolean> {
  return (await kernelUdpSockets([port])).has(port);
}

/** Bytes waiting in the kernel's receive queues of the sockets bound to the UDP port. */
async function udpReceiveQueueBytes(port: number): Promise<number> {
  return (await kernelUdpSockets([port])).get(port)?.queuedBytes ?? 0;
}

const PROTOCOLS: Record<string, number> = { TCP: 6, UDP: 17, ICMP: 1, ICMP6: 58 };

/** nfdump -o csv records: ts,te,td,sa,da,sp,dp,pr,flg,fwd,stos,ipkt,ibyt,...; the header and summary lines are skipped. */
export function parseNfdumpCsv(text: string): KnownFlow[] {
  const flows: KnownFlow[] = [];
  const records = parse(text, { relax_column_count: true, relax_quotes: true, skip_empty_lines: true });
  for (const c of records) {
    if (c.length < 13 || !/^\d{4}-/.test(c[0])) continue;
    const protocol = PROTOCOLS[c[7].trim()] ?? Number(c[7]);
    flows.push({ srcAddress: c[3], dstAddress: c[4], srcPort: Number(c[5]), dstPort: Number(c[6]), protocol, packets: Number(c[11]), bytes: Number(c[12]) });
  }
  return flows;
}
