// The internet as the enterprise sees it: pools of public addresses behind the gateway, by what they serve. Web
// destinations are drawn from the address blocks of the big cloud and CDN operators with Zipf popularity (a few
// sites get most of the traffic); resolvers, NTP servers, Git hosting and push services are the well-known ones.
import { type InternetPool } from './role-archetypes';
import { SeededRandom, ZipfSampler } from './seeded-random';

export interface InternetPools {
  readonly pools: Readonly<Record<InternetPool, readonly string[]>>;
  /** IPv6 web destinations (used by dual-stack endpoints). */
  readonly webV6: readonly string[];
}

/** Address blocks of large web operators (Microsoft, Google, Cloudflare, Fastly, Akamai, AWS CloudFront, Meta, Apple). */
const WEB_BLOCKS: ReadonlyArray<readonly [string, number]> = [
  ['13.107.0.0', 16],
  ['20.190.128.0', 18],
  ['52.96.0.0', 14],
  ['142.250.0.0', 15],
  ['172.217.0.0', 16],
  ['104.16.0.0', 13],
  ['151.101.0.0', 16],
  ['23.32.0.0', 11],
  ['52.84.0.0', 15],
  ['54.230.0.0', 16],
  ['157.240.0.0', 16],
  ['17.253.0.0', 16],
];

const FIXED: Readonly<Record<Exclude<InternetPool, 'web' | 'mail' | 'updates' | 'iotCloud' | 'sipTrunk'>, readonly string[]>> = {
  resolvers: ['8.8.8.8', '8.8.4.4', '1.1.1.1', '1.0.0.1', '9.9.9.9'],
  ntp: ['162.159.200.1', '162.159.200.123', '216.239.35.0', '216.239.35.4', '129.6.15.28'],
  git: ['140.82.112.3', '140.82.112.4', '140.82.113.3', '140.82.114.4', '172.65.251.78'],
  push: ['17.57.146.20', '17.57.146.52', '17.57.146.84', '17.57.146.116'],
};

const SAMPLED: ReadonlyArray<readonly [Exclude<InternetPool, keyof typeof FIXED | 'web'>, string, number, number]> = [
  ['mail', '52.96.0.0', 14, 6],
  ['mail', '142.250.0.0', 15, 2],
  ['updates', '13.107.4.0', 24, 4],
  ['updates', '23.32.0.0', 11, 8],
  ['updates', '151.101.0.0', 16, 4],
  ['iotCloud', '3.120.0.0', 14, 6],
  ['iotCloud', '20.50.0.0', 16, 2],
  ['sipTrunk', '185.17.0.0', 16, 4],
];

const WEB_POOL_SIZE = 1500;
const WEB_V6_POOL_SIZE = 300;
const V6_BLOCKS = ['2606:4700:', '2a00:1450:4001:', '2620:1ec:bdf:'];

function ipv4Number(text: string): number {
  const [a, b, c, d] = text.split('.').map(Number);
  return ((a << 24) | (b << 16) | (c << 8) | d) >>> 0;
}

export function ipv4Text(value: number): string {
  return `${value >>> 24}.${(value >>> 16) & 0xff}.${(value >>> 8) & 0xff}.${value & 0xff}`;
}

/** A host address inside a block (never the block's first or last address). */
function hostIn(rng: SeededRandom, base: string, prefixLength: number): string {
  const size = 2 ** (32 - prefixLength);
  return ipv4Text(ipv4Number(base) + 1 + rng.int(Math.max(1, size - 2)));
}

export function buildInternet(rng: SeededRandom): InternetPools {
  const web = new Set<string>();
  while (web.size < WEB_POOL_SIZE) {
    const [base, length] = rng.pick(WEB_BLOCKS);
    web.add(hostIn(rng, base, length));
  }
  const pools: Record<InternetPool, string[]> = {
    web: [...web],
    resolvers: [...FIXED.resolvers],
    ntp: [...FIXED.ntp],
    git: [...FIXED.git],
    push: [...FIXED.push],
    mail: [],
    updates: [],
    iotCloud: [],
    sipTrunk: [],
  };
  for (const [pool, base, length, count] of SAMPLED) for (let i = 0; i < count; i++) pools[pool].push(hostIn(rng, base, length));
  const webV6 = new Set<string>();
  while (webV6.size < WEB_V6_POOL_SIZE) {
    // Lower-case hex groups without leading zeros and no zero groups: already in RFC 5952 form.
    webV6.add(`${rng.pick(V6_BLOCKS)}${(0x100 + rng.int(0xef00)).toString(16)}::${(0x100 + rng.int(0xef00)).toString(16)}`);
  }
  return { pools, webV6: [...webV6] };
}

/** Zipf samplers per pool (popular destinations first). */
export class InternetChooser {
  private readonly samplers = new Map<string, ZipfSampler>();

  constructor(private readonly internet: InternetPools) {}

  pick(rng: SeededRandom, pool: InternetPool): string {
    const addresses = this.internet.pools[pool];
    return addresses[this.sampler(pool, addresses.length).sample(rng)];
  }

  pickV6(rng: SeededRandom): string {
    return this.internet.webV6[this.sampler('v6', this.internet.webV6.length).sample(rng)];
  }

  private sampler(key: string, size: number): ZipfSampler {
    let sampler = this.samplers.get(key);
    if (!sampler) {
      sampler = new ZipfSampler(size, key === 'web' || key === 'v6' ? 1 : 0.6);
      this.samplers.set(key, sampler);
    }
    return sampler;
  }
}

/** A random routable public IPv4 address (a client somewhere on the internet). */
export function randomPublicAddress(rng: SeededRandom): string {
  for (;;) {
    const value = rng.nextUint32();
    const a = value >>> 24;
    const b = (value >>> 16) & 0xff;
    const last = value & 0xff;
    if (a === 0 || a === 10 || a === 127 || a >= 224 || last === 0 || last === 255) continue;
    if (a === 100 && b >= 64 && b < 128) continue;
    if (a === 169 && b === 254) continue;
    if (a === 172 && b >= 16 && b < 32) continue;
    if (a === 192 && b === 168) continue;
    if (a === 198 && (b === 18 || b === 19)) continue;
    return ipv4Text(value);
  }
}
