// The clustering service's own tables, read and written only here (its database role holds only these grants).
export * from './clustering-batch.repository';
export * from './clustering-job.repository';
export * from './clustering-run.repository';
export * from './endpoint-assignment.repository';
export * from './endpoint-edge.repository';
export * from './endpoint-profile.repository';
export * from './endpoint-query.repository';
export * from './identity.repository';
export * from './membership-override.repository';
export * from './policy-edge.repository';
export * from './sgt.repository';
export * from './address-space.repository';
export * from './site.repository';
export * from './subnet.repository';
export * from './router-interface.repository';
