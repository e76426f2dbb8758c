import { Module } from '@nestjs/common';

/** The gateway-facing RPCs: endpoints, clusters, SGT registry, membership, policy, identity import. */
@Module({})
export class QueryModule {}
