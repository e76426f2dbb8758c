export * from './lib/address-format';
export * from './lib/decode-error';
export * from './lib/decoder-options';
export * from './lib/flow-record';
export * from './lib/information-element';
export * from './lib/netflow-decoder';
export * from './lib/state-snapshot';
export { SequenceTracker } from './lib/sequence-tracker';
export type { TemplateKind } from './lib/exporter-state';
