import { DatabaseRole, EnvVar, JetStreamServiceEnv, ToInt, ToList } from '@clarion/config';
import { TENANT_SLUG_PATTERN } from '@clarion/contracts';
import { Transform } from 'class-transformer';
import { IsInt, IsIP, IsOptional, IsString, Matches, Max, Min, ValidateBy, type ValidationOptions } from 'class-validator';
import { parseExporterTenantMap } from './tenancy/exporter-tenant-map';

/** A port list such as `2055,4739`: every item an integer 1-65535, no duplicates. */
function IsPortList(options?: ValidationOptions): PropertyDecorator {
  return ValidateBy(
    {
      name: 'isPortList',
      validator: {
        validate: (value: unknown) =>
          Array.isArray(value) &&
          value.every((p) => typeof p === 'string' && /^\d{1,5}$/.test(p) && Number(p) >= 1 && Number(p) <= 65535) &&
          new Set(value).size === value.length,
        defaultMessage: () => 'must be a comma-separated list of distinct ports (1-65535)',
      },
    },
    options,
  );
}

/** Like ToList, and `none` for the empty list (an empty variable means "the default" to validateEnv). */
const ToListOrNone = (): PropertyDecorator =>
  Transform(({ value }) =>
    typeof value === 'string'
      ? value.trim() === 'none'
        ? []
        : value
            .split(',')
            .map((s) => s.trim())
            .filter(Boolean)
      : value,
  );

/** No port of this list is also in INGEST_UDP_PORTS: one socket per port, so one of the two lists would not open. */
function IsDisjointFromUdpPorts(options?: ValidationOptions): PropertyDecorator {
  return ValidateBy(
    {
      name: 'isDisjointFromUdpPorts',
      validator: {
        validate: (value: unknown, args) => {
          const udp = (args?.object as Partial<IngestEnv> | undefined)?.INGEST_UDP_PORTS;
          return !Array.isArray(value) || !Array.isArray(udp) || value.every((p) => !udp.includes(p));
        },
        defaultMessage: () => 'must not repeat a port of INGEST_UDP_PORTS (every port takes every protocol already)',
      },
    },
    options,
  );
}

function IsExporterTenantMap(options?: ValidationOptions): PropertyDecorator {
  return ValidateBy(
    {
      name: 'isExporterTenantMap',
      validator: {
        validate: (value: unknown) => {
          if (typeof value !== 'string') return false;
          try {
            parseExporterTenantMap(value);
            return true;
          } catch {
            return false;
          }
        },
        defaultMessage: (args) => {
          try {
            parseExporterTenantMap(String(args?.value ?? ''));
            return 'must be address[/prefix]=tenant-slug items separated by commas';
          } catch (err) {
            return `must be address[/prefix]=tenant-slug items separated by commas: ${(err as Error).message}`;
          }
        },
      },
    },
    options,
  );
}

/** `34000` or `9:12345` (IPFIX enterprise number : element id), comma-separated. */
const FIELD_REFS = /^\s*(\d{1,10}:)?\d{1,5}\s*(,\s*(\d{1,10}:)?\d{1,5}\s*)*$/;

/** Configuration of the ingest service (the NetFlow v5/v9/IPFIX and sFlow v5 collector). */
@DatabaseRole('clarion_ingest')
export class IngestEnv extends JetStreamServiceEnv {
  override OPS_PORT = 9402;

  // ---- UDP ---------------------------------------------------------------------------------------------------------

  @EnvVar({ type: 'comma-separated ports', description: 'UDP ports receiving flow export; every port accepts NetFlow v5, v9, IPFIX and sFlow v5 alike.' })
  @ToList()
  @IsPortList()
  INGEST_UDP_PORTS: string[] = ['2055', '4739'];

  @EnvVar({
    type: 'comma-separated ports',
    description:
      'UDP ports for sFlow agents, opened besides INGEST_UDP_PORTS (each port tells sFlow from NetFlow by the datagram, so any of them takes either); `none` for none.',
  })
  @ToListOrNone()
  @IsPortList()
  @IsDisjointFromUdpPorts()
  INGEST_SFLOW_PORTS: string[] = ['6343'];

  @EnvVar({
    type: 'IP address',
    description: 'Address the UDP listeners bind to. `::` receives IPv4 and IPv6 (dual-stack); the service falls back to 0.0.0.0 where IPv6 is unavailable.',
  })
  @IsIP()
  INGEST_UDP_HOST = '::';

  @EnvVar({
    type: 'integer (bytes)',
    description: 'Kernel receive buffer (SO_RCVBUF) requested per UDP socket; Linux caps it at net.core.rmem_max, so raise that too. The effective size is logged.',
  })
  @ToInt()
  @IsInt()
  @Min(65536)
  @Max(1024 * 1024 * 1024)
  INGEST_UDP_RECEIVE_BUFFER_BYTES = 32 * 1024 * 1024;

  @EnvVar({
    type: 'integer (bytes)',
    description: 'Datagrams received by the UDP thread and not yet decoded; absorbs pauses of the main thread. Past it, datagrams are dropped and counted.',
  })
  @ToInt()
  @IsInt()
  @Min(1024 * 1024)
  INGEST_RECEIVE_QUEUE_MAX_BYTES = 128 * 1024 * 1024;

  // ---- exporters and tenants -----------------------------------------------------------------------------------------

  @EnvVar({
    type: 'tenant slug',
    description: 'Tenant of exporters neither registered through the API nor matched by an INGEST_EXPORTER_TENANTS rule. Unset: such exporters are refused (counted, never decoded).',
  })
  @IsOptional()
  @Matches(TENANT_SLUG_PATTERN, { message: 'must be a tenant slug' })
  INGEST_DEFAULT_TENANT?: string;

  @EnvVar({
    type: 'comma-separated address[/prefix]=tenant-slug',
    description:
      'Bootstrap exporter to tenant map, e.g. `10.1.0.0/16=acme,192.0.2.7=beta`; the longest matching prefix wins. Exporters registered through the API (POST /api/v1/exporters) need no rule; a rule wins over another tenant\'s registration, and the API refuses to register an address a rule gives to another tenant.',
  })
  @IsOptional()
  @IsString()
  @IsExporterTenantMap()
  INGEST_EXPORTER_TENANTS?: string;

  @EnvVar({ type: 'integer', description: 'Exporters the decoder keeps state for; packets from more are rejected (TOO_MANY_EXPORTERS).' })
  @ToInt()
  @IsInt()
  @Min(1)
  INGEST_MAX_EXPORTERS = 10_000;

  @EnvVar({ type: 'integer', description: 'Templates (data and options) kept per exporter; more are rejected (TOO_MANY_TEMPLATES).' })
  @ToInt()
  @IsInt()
  @Min(1)
  INGEST_MAX_TEMPLATES_PER_EXPORTER = 512;

  @EnvVar({ type: 'integer (ms)', description: 'How long data that arrived before its template is held before it is dropped (counted as EXPIRED).' })
  @ToInt()
  @IsInt()
  @Min(0)
  INGEST_HELD_DATA_MAX_AGE_MS = 60_000;

  @EnvVar({ type: 'integer (bytes)', description: 'Memory for data waiting for its template, all exporters together.' })
  @ToInt()
  @IsInt()
  @Min(0)
  INGEST_HELD_DATA_MAX_BYTES = 64 * 1024 * 1024;

  @EnvVar({ type: 'comma-separated [enterprise:]element ids', description: 'Fields carrying the TrustSec source group tag (Cisco: 34000 in v9; in IPFIX the same element arrives as enterprise 9 element 1232, i.e. 34000 without the enterprise bit).' })
  @Matches(FIELD_REFS, { message: 'must be element ids, optionally enterprise:id, separated by commas' })
  INGEST_SGT_SOURCE_FIELDS = '34000,9:1232';

  @EnvVar({ type: 'comma-separated [enterprise:]element ids', description: 'Fields carrying the TrustSec destination group tag (Cisco: 34001 in v9, enterprise 9 element 1233 in IPFIX).' })
  @Matches(FIELD_REFS, { message: 'must be element ids, optionally enterprise:id, separated by commas' })
  INGEST_SGT_DESTINATION_FIELDS = '34001,9:1233';

  @EnvVar({
    type: 'integer',
    description: 'sFlow agent interfaces whose counters (octets, packets, errors, discards, status, speed) are exported as metrics; counters of further interfaces are counted and dropped. 0: none.',
  })
  @ToInt()
  @IsInt()
  @Min(0)
  INGEST_SFLOW_MAX_INTERFACES = 10_000;

  @EnvVar({ type: 'integer (ms)', description: 'How often exporter counters are added to the registry in PostgreSQL.' })
  @ToInt()
  @IsInt()
  @Min(100)
  INGEST_REGISTRY_FLUSH_MS = 5_000;

  @EnvVar({ type: 'integer (ms)', description: 'How soon a learned, changed or withdrawn template is written to PostgreSQL.' })
  @ToInt()
  @IsInt()
  @Min(10)
  INGEST_TEMPLATE_FLUSH_MS = 250;

  // ---- storage -------------------------------------------------------------------------------------------------------

  @EnvVar({ type: 'integer', description: 'A batch is written (one COPY transaction) when it has this many flows ...' })
  @ToInt()
  @IsInt()
  @Min(1)
  @Max(1_000_000)
  INGEST_BATCH_MAX_ROWS = 10_000;

  @EnvVar({ type: 'integer (ms)', description: '... or when its first flow has waited this long.' })
  @ToInt()
  @IsInt()
  @Min(1)
  INGEST_BATCH_MAX_DELAY_MS = 500;

  @EnvVar({
    type: 'integer',
    description: 'Flows in closed batches waiting for PostgreSQL in memory; past it, batches go to the disk spool (back-pressure without loss).',
  })
  @ToInt()
  @IsInt()
  @Min(1)
  INGEST_QUEUE_MAX_ROWS = 200_000;

  @EnvVar({ type: 'integer (1-16)', description: 'Connections writing batches with COPY in parallel (separate from DATABASE_POOL_SIZE).' })
  @ToInt()
  @IsInt()
  @Min(1)
  @Max(16)
  INGEST_WRITER_CONNECTIONS = 2;

  @EnvVar({ type: 'integer (ms)', description: 'A batch transaction not committed within this time is abandoned and its batch spooled.' })
  @ToInt()
  @IsInt()
  @Min(100)
  INGEST_COMMIT_TIMEOUT_MS = 30_000;

  @EnvVar({ type: 'integer (ms)', description: 'While PostgreSQL is unreachable, how often the writer tries again (then replays the spool in order).' })
  @ToInt()
  @IsInt()
  @Min(50)
  INGEST_DB_RETRY_MS = 1_000;

  @EnvVar({ type: 'directory path', description: 'Disk spool for batches PostgreSQL cannot take (outage or overload): append-only, checksummed, replayed in order.' })
  @IsString()
  INGEST_SPOOL_DIR = '/tmp/clarion-ingest-spool';

  @EnvVar({ type: 'integer (bytes)', description: 'Disk budget of the spool; batches beyond it are dropped and counted (reason spool_full).' })
  @ToInt()
  @IsInt()
  @Min(1024 * 1024)
  INGEST_SPOOL_MAX_BYTES = 1024 * 1024 * 1024;

  @EnvVar({ type: 'integer (days)', description: 'Daily partitions of the flows table created ahead of time.' })
  @ToInt()
  @IsInt()
  @Min(1)
  @Max(60)
  INGEST_PARTITIONS_AHEAD_DAYS = 3;

  @EnvVar({
    type: 'integer (days)',
    description: 'Flows that ended more than this many days ago, or more than INGEST_PARTITIONS_AHEAD_DAYS ahead (skewed exporter clocks), go to the default partition.',
  })
  @ToInt()
  @IsInt()
  @Min(1)
  INGEST_PARTITION_MAX_PAST_DAYS = 31;

  @EnvVar({ type: 'integer (bytes)', description: 'Flow batch events waiting for JetStream (NATS down); past it, events are dropped and counted.' })
  @ToInt()
  @IsInt()
  @Min(1024 * 1024)
  INGEST_EVENTS_MAX_PENDING_BYTES = 256 * 1024 * 1024;
}

/** Fields of the ports list, as numbers. */
export function udpPortsOf(env: IngestEnv): number[] {
  return env.INGEST_UDP_PORTS.map(Number);
}

/** Every port to listen on: the flow export ports, then the sFlow ports. */
export function listeningPortsOf(env: IngestEnv): number[] {
  return [...env.INGEST_UDP_PORTS, ...env.INGEST_SFLOW_PORTS].map(Number);
}

/** `34000,9:12345` to decoder field references. */
export function fieldRefsOf(text: string): Array<{ id: number; enterprise?: number }> {
  return text
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)
    .map((item) => {
      const [a, b] = item.split(':');
      return b === undefined ? { id: Number(a) } : { id: Number(b), enterprise: Number(a) };
    });
}
