import { Type } from 'class-transformer';
import {
  ArrayMaxSize,
  ArrayMinSize,
  IsArray,
  IsBoolean,
  IsIn,
  IsInt,
  IsNumber,
  IsObject,
  IsOptional,
  IsString,
  IsUUID,
  Matches,
  Max,
  MaxLength,
  Min,
  MinLength,
  ValidateNested,
} from 'class-validator';
import { IsOmittable } from '../omittable';
import { ActorRequestDto } from '../auth/auth.dto';

/**
 * The clustering service's NATS API (subjects in `Subjects.clustering`). Every request carries the verified actor;
 * the service takes the tenant from it and checks the permission again. Lists are cursor pages (`Page<T>`), times
 * are ISO-8601 strings, endpoint ids are the endpoint keys `mac:<aa:bb:..>` or `ip:<address>`.
 */

/** Endpoint id: `mac:` + lower-case colon MAC, or `ip:` + IPv4/IPv6 text. */
export const ENDPOINT_ID_PATTERN = /^(mac:[0-9a-f]{2}(:[0-9a-f]{2}){5}|ip:[0-9a-f.:]{2,45})$/;
/** Cluster ids are short stable strings minted by the service (`c-<hex>`). */
export const CLUSTER_ID_PATTERN = /^[A-Za-z0-9_-]{1,40}$/;
/** SGT names as TrustSec accepts them. */
export const SGT_NAME_PATTERN = /^[A-Za-z0-9_]{1,32}$/;
export const CURSOR_PATTERN = /^[A-Za-z0-9_-]+$/;

export const CONFIDENCE_BANDS = ['very_high', 'high', 'medium', 'low', 'very_low'] as const;
export type ConfidenceBandName = (typeof CONFIDENCE_BANDS)[number];

class PageRequestDto extends ActorRequestDto {
  /** Opaque cursor from the previous page's `nextCursor`. */
  @IsOptional()
  @IsString()
  @MaxLength(512)
  @Matches(CURSOR_PATTERN, { message: 'cursor must be a cursor from a previous page' })
  cursor?: string;

  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(500)
  limit?: number;
}

// ---------------------------------------------------------------- endpoints

export const ENDPOINT_SORT_FIELDS = ['id', 'lastSeen', 'flows', 'confidence'] as const;
export type EndpointSortField = (typeof ENDPOINT_SORT_FIELDS)[number];

/** `clarion.clustering.endpoints.list.v1` */
export class ListEndpointsRequestDto extends PageRequestDto {
  @IsOptional()
  @Matches(CLUSTER_ID_PATTERN)
  clusterId?: string;

  /** Effective SGT (a manual override, else the cluster's SGT). */
  @IsOptional()
  @IsInt()
  @Min(0)
  @Max(65535)
  sgt?: number;

  @IsOptional()
  @IsIn(CONFIDENCE_BANDS)
  band?: ConfidenceBandName;

  /** Only endpoints in no cluster (noise, or not assigned yet). */
  @IsOptional()
  @IsBoolean()
  unassigned?: boolean;

  /** Only endpoints with a manual SGT override. */
  @IsOptional()
  @IsBoolean()
  overridden?: boolean;

  /** Prefix of the endpoint id, its address or MAC (matched literally, case-insensitive). */
  @IsOptional()
  @IsString()
  @MaxLength(64)
  search?: string;

  @IsOptional()
  @IsIn(ENDPOINT_SORT_FIELDS)
  sort?: EndpointSortField;

  @IsOptional()
  @IsIn(['asc', 'desc'])
  order?: 'asc' | 'desc';
}

/** `clarion.clustering.endpoints.get.v1` */
export class GetEndpointRequestDto extends ActorRequestDto {
  @Matches(ENDPOINT_ID_PATTERN, { message: 'id must be an endpoint id (mac:.. or ip:..)' })
  id: string;
}

export interface ServiceUseDto {
  /** 'server': the endpoint offers it; 'client': the endpoint uses it. */
  role: 'client' | 'server';
  protocol: number;
  port: number;
  /** Well-known name ("https", "dns") or "<proto>/<port>". */
  service: string;
  flows: number;
}

export interface EndpointProfileSummaryDto {
  flows: number;
  flowsAsClient: number;
  flowsAsServer: number;
  bytesIn: number;
  bytesOut: number;
  packetsIn: number;
  packetsOut: number;
  distinctPeers: number;
  distinctClientServices: number;
  distinctServerServices: number;
  activeHoursOfWeek: number;
  topServices: ServiceUseDto[];
}

export interface IdentityDto {
  deviceType: string | null;
  user: string | null;
  groups: string[];
  importedAt: string;
}

export interface EndpointDto {
  id: string;
  /** Last IP address seen for the endpoint (null for a MAC-keyed endpoint seen without one). */
  address: string | null;
  mac: string | null;
  firstSeenAt: string | null;
  lastSeenAt: string | null;
  clusterId: string | null;
  clusterLabel: string | null;
  /** Effective SGT: the manual override when present, else the cluster's SGT; null when neither. */
  sgt: number | null;
  sgtName: string | null;
  /** 0..1; 0 when unassigned. */
  confidence: number;
  band: ConfidenceBandName;
  /** How the cluster was decided: full clustering run, incremental assignment, or none yet. */
  assignedBy: 'clustering' | 'assignment' | null;
  override: { sgt: number; by: string; reason: string | null; at: string } | null;
  summary: EndpointProfileSummaryDto;
  identity: IdentityDto | null;
}

// ---------------------------------------------------------------- clusters

/** `clarion.clustering.clusters.list.v1` (retired clusters are left out unless asked for). */
export class ListClustersRequestDto extends PageRequestDto {
  @IsOptional()
  @IsBoolean()
  includeRetired?: boolean;
}

/** `clarion.clustering.clusters.get.v1` */
export class GetClusterRequestDto extends ActorRequestDto {
  @Matches(CLUSTER_ID_PATTERN)
  id: string;
}

export interface ClusterServiceDto extends ServiceUseDto {
  /** Share of the cluster's members that use/offer it (0..1). */
  share: number;
}

export interface ClusterDto {
  id: string;
  label: string;
  /** One paragraph: why these endpoints belong together. */
  explanation: string;
  size: number;
  /** 0..1, how well separated and dense the cluster is. */
  quality: number;
  stability: number;
  sgt: number | null;
  sgtName: string | null;
  topServices: ClusterServiceDto[];
  createdAt: string;
  updatedAt: string;
  retiredAt: string | null;
  /** The job of the full run that last shaped the cluster. */
  jobId: string | null;
}

// ---------------------------------------------------------------- SGT registry

/** `clarion.clustering.sgts.list.v1` */
export class ListSgtsRequestDto extends PageRequestDto {}

/** `clarion.clustering.sgts.create.v1`: value allocated from the category's range when omitted. */
export class CreateSgtRequestDto extends ActorRequestDto {
  @IsOptional()
  @IsInt()
  @Min(2)
  @Max(65519)
  value?: number;

  @Matches(SGT_NAME_PATTERN, { message: 'name must be 1-32 letters, digits or underscores' })
  name: string;

  @IsOptional()
  @IsString()
  @MaxLength(500)
  description?: string;

  @IsOptional()
  @IsIn(['infrastructure', 'users', 'servers', 'devices', 'restricted', 'custom'])
  category?: string;

  /** Bind the SGT to a cluster (its members get it unless overridden). */
  @IsOptional()
  @Matches(CLUSTER_ID_PATTERN)
  clusterId?: string;
}

/** `clarion.clustering.sgts.update.v1`: `clusterId: null` unbinds. */
export class UpdateSgtRequestDto extends ActorRequestDto {
  @IsInt()
  @Min(1)
  @Max(65535)
  value: number;

  @IsOptional()
  @Matches(SGT_NAME_PATTERN, { message: 'name must be 1-32 letters, digits or underscores' })
  name?: string;

  @IsOptional()
  @IsString()
  @MaxLength(500)
  description?: string;

  @IsOptional()
  @Matches(CLUSTER_ID_PATTERN)
  clusterId?: string | null;
}

/** `clarion.clustering.sgts.get.v1` and `clarion.clustering.sgts.delete.v1` (delete: CONFLICT while endpoints carry it as an override). */
export class SgtRefRequestDto extends ActorRequestDto {
  @IsInt()
  @Min(1)
  @Max(65535)
  value: number;
}

export interface SgtDto {
  value: number;
  name: string;
  description: string | null;
  category: string;
  clusterId: string | null;
  /** Endpoints carrying it (through the cluster or an override). */
  members: number;
  createdAt: string;
  updatedAt: string;
}

// ---------------------------------------------------------------- membership

/** `clarion.clustering.membership.assign.v1`: manual SGT override for one or many endpoints; a re-run never changes it. */
export class AssignMembershipRequestDto extends ActorRequestDto {
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(1000)
  @Matches(ENDPOINT_ID_PATTERN, { each: true, message: 'each endpoint must be an endpoint id (mac:.. or ip:..)' })
  endpoints: string[];

  @IsInt()
  @Min(1)
  @Max(65535)
  sgt: number;

  @IsOptional()
  @IsString()
  @MaxLength(500)
  reason?: string;
}

/** `clarion.clustering.membership.clear.v1`: removes manual overrides (the cluster's SGT applies again). */
export class ClearMembershipRequestDto extends ActorRequestDto {
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(1000)
  @Matches(ENDPOINT_ID_PATTERN, { each: true, message: 'each endpoint must be an endpoint id (mac:.. or ip:..)' })
  endpoints: string[];
}

export interface MembershipChangeResultDto {
  /** Endpoints changed. */
  updated: number;
  /** Endpoint ids the tenant has no profile for (nothing done for them). */
  unknown: string[];
}

/** `clarion.clustering.membership.history.v1`: newest first. */
export class MembershipHistoryRequestDto extends PageRequestDto {
  @Matches(ENDPOINT_ID_PATTERN, { message: 'endpoint must be an endpoint id (mac:.. or ip:..)' })
  endpoint: string;
}

export interface MembershipEventDto {
  id: string;
  at: string;
  kind: 'clustering' | 'assignment' | 'override' | 'override_cleared';
  clusterId: string | null;
  sgt: number | null;
  /** 'system' for clustering runs and assignments, else the actor id. */
  actor: string;
  reason: string | null;
  jobId: string | null;
}

// ---------------------------------------------------------------- policy

/** `clarion.clustering.policy.matrix.v1`: observed traffic between SGTs (client SGT -> server SGT, services). */
export class PolicyMatrixRequestDto extends ActorRequestDto {
  /** Leave out services with fewer flows. */
  @IsOptional()
  @IsInt()
  @Min(0)
  @Max(1_000_000_000)
  minFlows?: number;
}

export interface PolicyServiceDto {
  protocol: number;
  port: number;
  service: string;
  flows: number;
  bytes: number;
  distinctSources: number;
  distinctDestinations: number;
  firstSeenAt: string | null;
  lastSeenAt: string | null;
}

export interface PolicyCellDto {
  srcSgt: number;
  dstSgt: number;
  flows: number;
  bytes: number;
  services: PolicyServiceDto[];
}

export interface PolicyMatrixDto {
  generatedAt: string;
  /** Every SGT appearing in a cell, with its registry name ("Unknown" for 0). */
  sgts: Array<{ value: number; name: string }>;
  cells: PolicyCellDto[];
}

/** Options of the SGACL derivation (see @clarion/clustering-core generateSgacls). */
export class SgaclOptionsDto extends ActorRequestDto {
  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(1_000_000_000)
  minFlows?: number;

  @IsOptional()
  @IsNumber()
  @Min(0)
  @Max(1)
  minShare?: number;

  @IsOptional()
  @IsBoolean()
  logDeny?: boolean;

  @IsOptional()
  @IsIn(['permit', 'deny'])
  defaultAction?: 'permit' | 'deny';
}

/** `clarion.clustering.policy.sgacl.v1`: the derived SGACLs as Cisco CLI text or JSON. */
export class SgaclExportRequestDto extends SgaclOptionsDto {
  @IsIn(['cli', 'json'])
  format: 'cli' | 'json';
}

export interface SgaclRuleDto {
  action: 'permit' | 'deny';
  /** IANA protocol number; absent = any IP protocol. */
  protocol?: number;
  /** Destination port (TCP/UDP/SCTP); absent = any. */
  port?: number;
  log?: boolean;
}

export interface SgaclDto {
  srcSgt: number;
  dstSgt: number;
  name: string;
  rules: SgaclRuleDto[];
}

export interface PolicyProposalDto {
  defaultAction: 'permit' | 'deny';
  sgacls: SgaclDto[];
}

export interface SgaclExportDto {
  format: 'cli' | 'json';
  generatedAt: string;
  /** The proposal the export renders (also the input shape of the impact analysis). */
  proposal: PolicyProposalDto;
  /** Cisco CLI text (format 'cli'). */
  cli?: string;
  /** The rendered JSON document (format 'json'). */
  json?: unknown;
}

export class SgaclRuleInputDto {
  @IsIn(['permit', 'deny'])
  action: 'permit' | 'deny';

  @IsOptional()
  @IsInt()
  @Min(0)
  @Max(255)
  protocol?: number;

  @IsOptional()
  @IsInt()
  @Min(0)
  @Max(65535)
  port?: number;

  @IsOptional()
  @IsBoolean()
  log?: boolean;
}

export class SgaclInputDto {
  @IsInt()
  @Min(0)
  @Max(65535)
  srcSgt: number;

  @IsInt()
  @Min(0)
  @Max(65535)
  dstSgt: number;

  @IsString()
  @MinLength(1)
  @MaxLength(64)
  @Matches(/^[A-Za-z0-9_.-]+$/)
  name: string;

  @IsArray()
  @ArrayMaxSize(256)
  @ValidateNested({ each: true })
  @Type(() => SgaclRuleInputDto)
  rules: SgaclRuleInputDto[];
}

export class PolicyProposalInputDto {
  @IsIn(['permit', 'deny'])
  defaultAction: 'permit' | 'deny';

  @IsArray()
  @ArrayMaxSize(10_000)
  @ValidateNested({ each: true })
  @Type(() => SgaclInputDto)
  sgacls: SgaclInputDto[];
}

/** `clarion.clustering.policy.impact.v1`: replays the observed matrix against a proposal (the derived one when omitted). */
export class ImpactRequestDto extends SgaclOptionsDto {
  @IsOmittable()
  @IsObject()
  @ValidateNested()
  @Type(() => PolicyProposalInputDto)
  proposal?: PolicyProposalInputDto;
}

export type ImpactRiskName = 'critical' | 'high' | 'medium' | 'low';

export interface BlockedServiceDto {
  srcSgt: number;
  dstSgt: number;
  protocol: number;
  port: number;
  service: string;
  flows: number;
  bytes: number;
  distinctSources: number;
  distinctDestinations: number;
  risk: ImpactRiskName;
  reason: string;
  deniedBy: string;
}

export interface ImpactReportDto {
  generatedAt: string;
  totalFlows: number;
  totalBytes: number;
  blockedFlows: number;
  blockedBytes: number;
  blockedByRisk: Record<ImpactRiskName, number>;
  /** Most severe first; at most 1,000 (the counts above are complete). */
  blocked: BlockedServiceDto[];
}

// ---------------------------------------------------------------- jobs

export const JOB_STATUSES = ['queued', 'running', 'succeeded', 'failed'] as const;
export type ClusteringJobStatus = (typeof JOB_STATUSES)[number];
export type ClusteringJobTrigger = 'request' | 'schedule' | 'threshold' | 'initial';

/** `clarion.clustering.jobs.run.v1`: queues a full re-clustering; answers the job already queued or running if any. */
export class RunClusteringJobRequestDto extends ActorRequestDto {}

/** `clarion.clustering.jobs.list.v1`: newest first. */
export class ListClusteringJobsRequestDto extends PageRequestDto {
  @IsOptional()
  @IsIn(JOB_STATUSES)
  status?: ClusteringJobStatus;
}

/** `clarion.clustering.jobs.get.v1` */
export class GetClusteringJobRequestDto extends ActorRequestDto {
  @IsUUID()
  id: string;
}

export interface ClusteringJobDto {
  id: string;
  trigger: ClusteringJobTrigger;
  status: ClusteringJobStatus;
  /** Current stage while running (features, scaling, then the HDBSCAN stages, identity, model, labels, persist; see ClusteringStage in @clarion/clustering-core). */
  stage: string | null;
  /** 0..1 */
  progress: number;
  endpoints: number | null;
  clusters: number | null;
  noiseRate: number | null;
  error: string | null;
  requestedBy: string | null;
  createdAt: string;
  startedAt: string | null;
  finishedAt: string | null;
  durationMs: number | null;
}

// ---------------------------------------------------------------- identity

/** `clarion.clustering.identity.import.v1`: CSV (header `mac,ip,device_type,user,groups`, groups `;`-separated) or a JSON array. */
export class IdentityImportRequestDto extends ActorRequestDto {
  @IsIn(['csv', 'json'])
  format: 'csv' | 'json';

  /** At most 800,000 characters (NATS message size), at most 20,000 records. */
  @IsString()
  @MaxLength(800_000)
  content: string;
}

export interface IdentityImportResultDto {
  records: number;
  imported: number;
  /** Rows rejected, first 100, with the 1-based line (CSV) or index (JSON) and why. */
  rejected: Array<{ at: number; reason: string }>;
  rejectedCount: number;
}

// ---------------------------------------------------------------- events

/** Payload of `clarion.clusters.updated.v1` (core NATS; the gateway drops its caches and pushes it to WebSocket clients). */
export interface ClustersUpdatedEvent {
  tenantId: string;
  reason: 'full_run' | 'assignment' | 'sgt' | 'membership' | 'identity';
  jobId: string | null;
  clusters: number | null;
  at: string;
}

/** Payload of `clarion.clustering.jobs.progress.v1` (core NATS, best effort). */
export interface ClusteringJobProgressEvent {
  tenantId: string;
  job: ClusteringJobDto;
}

/** Payload of `clarion.ingest.rates.v1` (core NATS, every few seconds per tenant with committed flows, per ingest instance). */
export interface IngestRatesEvent {
  tenantId: string;
  at: string;
  /** The ingest instance that reports (rates of several instances add up). */
  instanceId: string;
  intervalSeconds: number;
  /** Flows committed to PostgreSQL in the interval. */
  flows: number;
  flowsPerSecond: number;
}
