// The simulator as a library, for benchmarks and end-to-end tests that want the synthetic enterprise's flows
// in-process (no UDP) or packets without sockets. The CLI is main.ts.
export { buildEnterprise, roleCounts, truthOf, UPLINK_IF_INDEX } from './enterprise';
export type { Endpoint, Enterprise, EnterpriseOptions, TruthRecord } from './enterprise';
export { ExportEncoder, IPFIX_SGT_FIELDS, TEMPLATE_IDS, V9_SGT_FIELDS } from './export-encoder';
export type { EncodedBatch, ExportEncoderOptions, FieldSpec, SgtFields } from './export-encoder';
export { FlowGenerator } from './flow-generator';
export type { FlowGeneratorOptions } from './flow-generator';
export { formatTruth, writeTruth } from './ground-truth';
export { DEFAULT_ROLE_WEIGHTS, GROUPS, ROLES, ROLE_NAMES, describeRoles } from './role-archetypes';
export type { GroupName, RoleDefinition, RoleName, TruthRole } from './role-archetypes';
export { Rhythm, localTime, rhythmIntensity } from './rhythm';
export type { SimulatedFlow } from './simulated-flow';
export { SimulatorRunner } from './simulator-runner';
export type { Logger, RunSummary } from './simulator-runner';
export { HELP, OptionsError, parseSimulatorArgs } from './simulator-options';
export type { SimulatorOptions } from './simulator-options';
