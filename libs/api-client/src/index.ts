export type { components, operations, paths } from './lib/api-schema.generated';
export { createClarionClient, type ClarionClient } from './lib/clarion-client';
