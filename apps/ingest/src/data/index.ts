// The ingest service's own tables, read and written only here (its database role holds only these grants).
export * from './exporter.repository';
export * from './flow-query.repository';
export * from './flow.repository';
export * from './template.repository';
