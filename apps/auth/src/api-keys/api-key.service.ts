import { Injectable } from '@nestjs/common';
import {
  DomainException,
  ErrorCode,
  type ActorDto,
  type ApiKeyDto,
  type CreateApiKeyRequestDto,
  type CreatedApiKeyResponseDto,
  type Permission,
  type VerifiedApiKeyResponseDto,
} from '@clarion/contracts';
import { ApiKeyRepository, Database, TenantLookupRepository, type ApiKeyRow } from '@clarion/persistence';
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { AuditService } from '../audit/audit.service';
import { assertPermission } from '../users/user.service';

const PREFIX_ALPHABET = 'abcdefghijklmnopqrstuvwxyz0123456789';

function toDto(k: ApiKeyRow): ApiKeyDto {
  return {
    id: k.id,
    name: k.name,
    prefix: k.prefix,
    scopes: k.scopes as Permission[],
    createdBy: k.createdBy ?? '',
    createdAt: k.createdAt.toISOString(),
    expiresAt: k.expiresAt?.toISOString() ?? null,
    lastUsedAt: k.lastUsedAt?.toISOString() ?? null,
    revokedAt: k.revokedAt?.toISOString() ?? null,
  };
}

/** SHA-256 suffices for a 256-bit random secret (no dictionary to guess from); argon2 would only slow every request. */
const hashSecret = (secret: string): Buffer => createHash('sha256').update(secret, 'utf8').digest();

/**
 * API keys for automation: `clr_<prefix>_<secret>`, shown once; scopes a subset of the creator's permissions;
 * optional expiry; last-used time; revocation.
 */
@Injectable()
export class ApiKeyService {
  constructor(
    private readonly db: Database,
    private readonly audit: AuditService,
  ) {}

  async create(request: CreateApiKeyRequestDto): Promise<CreatedApiKeyResponseDto> {
    const { actor } = request;
    assertPermission(actor, 'apikeys:manage');
    const beyond = request.scopes.filter((s) => !actor.permissions.includes(s));
    if (beyond.length > 0) {
      throw new DomainException(ErrorCode.Forbidden, 'an API key cannot have permissions its creator does not hold', beyond.map((s) => ({ field: 'scopes', message: s })));
    }
    const expiresAt = request.expiresAt ? new Date(request.expiresAt) : null;
    if (expiresAt && expiresAt.getTime() <= Date.now()) {
      throw new DomainException(ErrorCode.ValidationFailed, 'expiresAt must be in the future', [{ field: 'expiresAt', message: 'must be in the future' }]);
    }
    const prefix = Array.from(randomBytes(12), (b) => PREFIX_ALPHABET[b % PREFIX_ALPHABET.length]).join('');
    const secret = randomBytes(32).toString('base64url');
    const row = await this.db.withTenant(actor.tenantId, async (m) => {
      const created = await new ApiKeyRepository(m).insert({
        tenantId: actor.tenantId,
        prefix,
        secretHash: hashSecret(secret),
        name: request.name,
        scopes: [...new Set(request.scopes)].sort(),
        createdBy: actor.kind === 'user' ? actor.id : null,
        expiresAt,
      });
      await this.audit.append(m, {
        tenantId: actor.tenantId,
        actorType: actor.kind,
        actorId: actor.id,
        action: 'apikey.create',
        target: created.id,
        outcome: 'success',
        sourceIp: actor.sourceIp,
        userAgent: actor.userAgent,
        details: { name: request.name, scopes: created.scopes, expiresAt: created.expiresAt?.toISOString() ?? null },
      });
      return created;
    });
    return { ...toDto(row), key: `clr_${prefix}_${secret}` };
  }

  async list(actor: ActorDto): Promise<ApiKeyDto[]> {
    assertPermission(actor, 'apikeys:manage');
    const rows = await this.db.withTenant(actor.tenantId, (m) => new ApiKeyRepository(m).list());
    return rows.map(toDto);
  }

  async revoke(actor: ActorDto, apiKeyId: string): Promise<ApiKeyDto> {
    assertPermission(actor, 'apikeys:manage');
    return this.db.withTenant(actor.tenantId, async (m) => {
      const row = await new ApiKeyRepository(m).revoke(apiKeyId);
      if (!row) throw new DomainException(ErrorCode.NotFound, 'no such API key');
      await this.audit.append(m, { tenantId: actor.tenantId, actorType: actor.kind, actorId: actor.id, action: 'apikey.revoke', target: apiKeyId, outcome: 'success', sourceIp: actor.sourceIp, userAgent: actor.userAgent });
      return toDto(row);
    });
  }

  /** Checks a presented key. Every refusal has the same answer. */
  async verify(key: string): Promise<VerifiedApiKeyResponseDto> {
    const refuse = () => new DomainException(ErrorCode.Unauthenticated, 'the API key is not valid');
    const match = /^clr_([a-z0-9]{8,16})_([A-Za-z0-9_-]{20,100})$/.exec(key);
    if (!match) throw refuse();
    const [, prefix, secret] = match as unknown as [string, string, string];
    const tenantId = await this.db.withoutTenant((m) => new TenantLookupRepository(m).tenantOfApiKey(prefix));
    if (!tenantId) throw refuse();
    const row = await this.db.withTenant(tenantId, (m) => new ApiKeyRepository(m).findByPrefix(prefix));
    if (!row || !timingSafeEqual(row.secretHash, hashSecret(secret))) throw refuse();
    if (row.revokedAt || (row.expiresAt && row.expiresAt.getTime() <= Date.now())) throw refuse();
    await this.db.withTenant(tenantId, (m) => new ApiKeyRepository(m).touchLastUsed(row.id));
    return { apiKeyId: row.id, tenantId, permissions: row.scopes as Permission[], expiresAt: row.expiresAt?.toISOString() ?? null };
  }
}
