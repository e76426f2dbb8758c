import { Injectable } from '@nestjs/common';
import { ACCESS_TOKEN_ALG, type RoleName } from '@clarion/contracts';
import { SignJWT } from 'jose';
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { AuthEnv } from '../auth.env';
import { KeyRingService } from '../keys/key-ring.service';

const UUID_BYTES = 16;

/** Access tokens (JWT, EdDSA) and opaque refresh tokens. */
@Injectable()
export class TokenService {
  constructor(
    private readonly keys: KeyRingService,
    private readonly env: AuthEnv,
  ) {}

  async issueAccessToken(claims: { userId: string; tenantId: string; roles: RoleName[]; sessionId: string }): Promise<{ token: string; expiresIn: number }> {
    const key = await this.keys.activeKey();
    const token = await new SignJWT({ tid: claims.tenantId, roles: claims.roles, sid: claims.sessionId })
      .setProtectedHeader({ alg: ACCESS_TOKEN_ALG, kid: key.kid, typ: 'at+jwt' })
      .setIssuer(this.env.AUTH_ISSUER)
      .setAudience(this.env.AUTH_AUDIENCE)
      .setSubject(claims.userId)
      .setIssuedAt()
      .setExpirationTime(`${this.env.ACCESS_TOKEN_TTL_S}s`)
      .setJti(randomUUID())
      .sign(key.privateKey);
    return { token, expiresIn: this.env.ACCESS_TOKEN_TTL_S };
  }

  /**
   * A refresh token: `rt_` + base64url(session id (16 bytes) || 256 random bits). The session id lets the service find
   * the tenant before it has any tenant context; only SHA-256 of the whole token is stored.
   */
  newRefreshToken(sessionId: string): { token: string; hash: Buffer } {
    const body = Buffer.concat([Buffer.from(sessionId.replace(/-/g, ''), 'hex'), randomBytes(32)]);
    const token = `rt_${body.toString('base64url')}`;
    return { token, hash: hashToken(token) };
  }

  /** The session id inside a refresh token, or null when it is not one of ours. */
  sessionOf(refreshToken: string): string | null {
    const body = Buffer.from(refreshToken.slice(3), 'base64url');
    if (!refreshToken.startsWith('rt_') || body.length !== UUID_BYTES + 32) return null;
    const hex = body.subarray(0, UUID_BYTES).toString('hex');
    return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
  }
}

export function hashToken(token: string): Buffer {
  return createHash('sha256').update(token, 'utf8').digest();
}
