import { Column, Entity, PrimaryColumn, UpdateDateColumn } from 'typeorm';

/** A per-tenant switch (SSO, streaming export, ...). Tenant-owned: row-level security applies. */
@Entity({ name: 'feature_flags' })
export class FeatureFlagEntity {
  @PrimaryColumn({ name: 'tenant_id', type: 'uuid' })
  tenantId: string;

  @PrimaryColumn({ type: 'text' })
  key: string;

  @Column({ type: 'boolean' })
  enabled: boolean;

  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' })
  updatedAt: Date;
}
