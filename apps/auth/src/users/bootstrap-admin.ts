import { Inject, Injectable, type OnApplicationBootstrap } from '@nestjs/common';
import { Database, TenantRepository } from '@clarion/persistence';
import { UserRepository } from '../data';
import { ROOT_LOGGER } from '@clarion/platform';
import { readFileSync } from 'node:fs';
import type { Logger } from 'pino';
import { AuthEnv } from '../auth.env';
import { UserService } from './user.service';

interface BootstrapSpec {
  tenant: string;
  tenantName?: string;
  email: string;
  displayName: string;
  password: string;
}

/**
 * One-time bootstrap of the first admin from AUTH_BOOTSTRAP_FILE (a mounted secret): applied only while the tenant
 * has no user, so a file left behind cannot reset anything. There are no default credentials anywhere.
 */
@Injectable()
export class BootstrapAdmin implements OnApplicationBootstrap {
  constructor(
    private readonly env: AuthEnv,
    private readonly db: Database,
    private readonly users: UserService,
    @Inject(ROOT_LOGGER) private readonly logger: Logger,
  ) {}

  onApplicationBootstrap(): void {
    const file = this.env.AUTH_BOOTSTRAP_FILE;
    if (!file) return;
    void this.db
      .start()
      .then(() => this.apply(file))
      .catch((err: unknown) => this.logger.error({ err: err instanceof Error ? err.message : String(err) }, 'bootstrap admin failed'));
  }

  /** Creates the admin the file describes, unless its tenant already has a user. Returns whether it did. */
  async apply(file: string): Promise<boolean> {
    const spec = JSON.parse(readFileSync(file, 'utf8')) as BootstrapSpec;
    const tenant = await this.db.withoutTenant((m) => new TenantRepository(m).findBySlug(spec.tenant));
    const existing = tenant ? await this.db.withTenant(tenant.id, (m) => new UserRepository(m).count()) : 0;
    if (existing > 0) {
      this.logger.warn({ file }, 'bootstrap file ignored: the tenant already has users; delete the file');
      return false;
    }
    const admin = await this.users.createAdmin({ tenantSlug: spec.tenant, tenantName: spec.tenantName, email: spec.email, displayName: spec.displayName, password: spec.password, roles: ['admin'] });
    this.logger.info({ tenant: spec.tenant, userId: admin.id }, 'bootstrap admin created; delete the bootstrap file');
    return true;
  }
}
