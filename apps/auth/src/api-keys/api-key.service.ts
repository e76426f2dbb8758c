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
  permissionsOfRoles,
} from '@clarion/contracts';
import { ApiKeyCache, Database, RedisClient, TenantRepository } from '@clarion/persistence';
import { ApiKeyRepository, TenantLookupRepository, UserRepository, type ApiKeyRow } from '../data';
import type { EntityManager } from 'typeorm';
import { AuthEnv } from '../auth.env';
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { AuditService } from '../audit/audit.service';
import { assertPermission } from '../users/user-permissions';

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

const DAY_MS = 24 * 3600 * 1000;

/**
 * API keys for automation: `clr_<prefix>_<secret>`, shown once; last-used time; revocation. A key is bounded by the
 * user who created it (a key made by a key belongs to that key's creator): its scopes are never more than the
 * creator's permissions at creation nor, at every verification, the creator's current ones; it stops when the
 * creator is disabled (whose keys are then revoked); its life is at most API_KEY_MAX_LIFETIME_DAYS. Whatever ends or
 * narrows a key clears its cached verification on every gateway at once (ApiKeyCache.tombstone).
 */
@Injectable()
export class ApiKeyService {
  constructor(
    private readonly db: Database,
    private readonly audit: AuditService,
    private readonly redis: RedisClient,
    private readonly env: AuthEnv,
  ) {}

  /** The user a new key belongs to: the acting user, or the creator of the acting key. */
  private async ownerOf(m: EntityManager, actor: ActorDto): Promise<string | null> {
    if (actor.kind === 'user') return actor.id;
    if (actor.kind !== 'api_key') return null;
    return new ApiKeyRepository(m).creatorOf(actor.id);
  }

  /** Ends (or narrows) the cached verification of a user's keys on every gateway: their creator changed. */
  async clearCachedKeysOf(m: EntityManager, userId: string): Promise<number> {
    const prefixes = await new ApiKeyRepository(m).activePrefixesOfCreator(userId);
    await ApiKeyCache.tombstone(this.redis, prefixes);
    return prefixes.length;
  }

  /** Ends the cached verification of every key of the tenant bound to `m` on every gateway (it was suspended). */
  async clearCachedKeysOfTenant(m: EntityManager): Promise<number> {
    const prefixes = await new ApiKeyRepository(m).activePrefixes();
    await ApiKeyCache.tombstone(this.redis, prefixes);
    return prefixes.length;
  }

  /** Revokes a disabled user's keys and clears them from every gateway; the number revoked. */
  async revokeKeysOf(m: EntityManager, userId: string): Promise<number> {
    const prefixes = await new ApiKeyRepository(m).revokeAllOfCreator(userId);
    await ApiKeyCache.tombstone(this.redis, prefixes);
    return prefixes.length;
  }

  async create(request: CreateApiKeyRequestDto): Promise<CreatedApiKeyResponseDto> {
    const { actor } = request;
    assertPermission(actor, 'apikeys:manage');
    const beyond = request.scopes.filter((s) => !actor.permissions.includes(s));
    if (beyond.length > 0) {
      throw new DomainException(ErrorCode.Forbidden, 'an API key cannot have permissions its creator does not hold', beyond.map((s) => ({ field: 'scopes', message: s })));
    }
    const latest = Date.now() + this.env.API_KEY_MAX_LIFETIME_DAYS * DAY_MS;
    const expiresAt = request.expiresAt ? new Date(request.expiresAt) : new Date(latest);
    if (expiresAt.getTime() <= Date.now()) {
      throw new DomainException(ErrorCode.ValidationFailed, 'expiresAt must be in the future', [{ field: 'expiresAt', message: 'must be in the future' }]);
    }
    if (expiresAt.getTime() > latest + 60_000) {
      const message = `must be within ${this.env.API_KEY_MAX_LIFETIME_DAYS} days`;
      throw new DomainException(ErrorCode.ValidationFailed, `expiresAt ${message}`, [{ field: 'expiresAt', message }]);
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
        createdBy: await this.ownerOf(m, actor),
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
      await ApiKeyCache.tombstone(this.redis, [row.prefix]);
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
    // A suspended tenant's keys stay as they are (resuming brings them back) but verify as nothing meanwhile.
    if ((await this.db.withoutTenant((m) => new TenantRepository(m).findById(tenantId)))?.status !== 'active') throw refuse();
    const row = await this.db.withTenant(tenantId, (m) => new ApiKeyRepository(m).findByPrefix(prefix));
    if (!row || !timingSafeEqual(row.secretHash, hashSecret(secret))) throw refuse();
    if (row.revokedAt || (row.expiresAt && row.expiresAt.getTime() <= Date.now())) throw refuse();
    // Bounded by its creator now: a disabled (or removed) creator ends it, a demoted one narrows it.
    let permissions = row.scopes as Permission[];
    if (row.createdBy) {
      const creator = await this.db.withTenant(tenantId, (m) => new UserRepository(m).findById(row.createdBy as string));
      if (!creator || creator.status !== 'active') throw refuse();
      const held = new Set(permissionsOfRoles(creator.roles));
      permissions = permissions.filter((p) => held.has(p));
    }
    await this.db.withTenant(tenantId, (m) => new ApiKeyRepository(m).touchLastUsed(row.id));
    return { apiKeyId: row.id, tenantId, permissions, expiresAt: row.expiresAt?.toISOString() ?? null };
  }
}
