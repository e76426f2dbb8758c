import { FeatureFlagEntity } from './feature-flag.entity';
import { TenantEntity } from './tenant.entity';

export { FeatureFlagEntity, TenantEntity };

/** Every entity, registered with the data source. */
export const ENTITIES = [TenantEntity, FeatureFlagEntity];
