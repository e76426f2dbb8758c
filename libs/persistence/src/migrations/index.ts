import { Foundation1764000000000 } from './1764000000000-foundation';
import { Auth1764100000000 } from './1764100000000-auth';
import { Sso1764200000000 } from './1764200000000-sso';
import { Ingest1764300000000 } from './1764300000000-ingest';
import { Clustering1764400000000 } from './1764400000000-clustering';
import { EndpointSummary1764500000000 } from './1764500000000-endpoint-summary';
import { EndpointApiSummary1764600000000 } from './1764600000000-endpoint-api-summary';
import { FlowRetention1764700000000 } from './1764700000000-flow-retention';
import { DefinerHardening1764800000000 } from './1764800000000-definer-hardening';
import { ServiceRoles1764900000000 } from './1764900000000-service-roles';
import { AuditKeyedChain1764950000000 } from './1764950000000-audit-keyed-chain';
import { NetworkInventory1765000000000 } from './1765000000000-network-inventory';
import { InternalEndpoints1765100000000 } from './1765100000000-internal-endpoints';

/** Every migration, in order. A new migration is added here and nowhere else. */
export const MIGRATIONS = [Foundation1764000000000, Auth1764100000000, Sso1764200000000, Ingest1764300000000, Clustering1764400000000, EndpointSummary1764500000000, EndpointApiSummary1764600000000, FlowRetention1764700000000, DefinerHardening1764800000000, ServiceRoles1764900000000, AuditKeyedChain1764950000000, NetworkInventory1765000000000, InternalEndpoints1765100000000];
