// Pure clustering algorithms for Clarion: sketches, endpoint profiles, features, HDBSCAN, assignment, stable ids,
// labels, SGTs, policy matrix, SGACLs and impact. No framework, driver, I/O or clock.
export * from './lib/clustering-core.error';
export * from './lib/hashing';
export * from './lib/seeded-random';
export * from './lib/byte-codec';
export * from './lib/hyper-log-log';
export * from './lib/count-min-sketch';
export * from './lib/port-top-k';
export * from './lib/service-ports';
export * from './lib/endpoint-profile';
export * from './lib/endpoint-key';
export * from './lib/feature-matrix';
export * from './lib/feature-extraction';
export * from './lib/feature-scaler';
export * from './lib/nearest-neighbours';
export * from './lib/mutual-reachability-tree';
export * from './lib/hdbscan';
export * from './lib/clustering-metrics';
export * from './lib/cluster-model';
export * from './lib/cluster-identity';
export * from './lib/cluster-label';
export * from './lib/sgt';
export * from './lib/policy-matrix';
export * from './lib/sgacl';
export * from './lib/impact-analysis';
export * from './lib/clustering-run';
