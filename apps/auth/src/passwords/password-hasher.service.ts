import { Injectable } from '@nestjs/common';
import * as argon2 from 'argon2';
import { AuthEnv } from '../auth.env';

/**
 * argon2id password hashing (parameters from config; the defaults, 19 MiB and 2 passes, are OWASP's
 * recommended minimum and take about 50-100 ms here; see docs/PERFORMANCE.md). Verification of an unknown user
 * runs against a fixed dummy hash so both paths cost the same.
 */
@Injectable()
export class PasswordHasherService {
  private readonly options: { type: typeof argon2.argon2id; memoryCost: number; timeCost: number; parallelism: number };
  private dummyHash?: Promise<string>;

  constructor(env: AuthEnv) {
    this.options = { type: argon2.argon2id, memoryCost: env.ARGON2_MEMORY_KIB, timeCost: env.ARGON2_TIME_COST, parallelism: env.ARGON2_PARALLELISM };
  }

  get parameters(): { algorithm: 'argon2id'; memoryKiB: number; timeCost: number; parallelism: number } {
    return { algorithm: 'argon2id', memoryKiB: this.options.memoryCost, timeCost: this.options.timeCost, parallelism: this.options.parallelism };
  }

  hash(password: string): Promise<string> {
    return argon2.hash(password, this.options);
  }

  async verify(hash: string | null, password: string): Promise<boolean> {
    if (!hash) {
      await this.burn(password);
      return false;
    }
    try {
      return await argon2.verify(hash, password);
    } catch {
      return false;
    }
  }

  /** Same work as a real verification, for unknown users and password-less (SSO-only) accounts. */
  async burn(password: string): Promise<void> {
    this.dummyHash ??= argon2.hash('clarion-dummy-password-for-timing', this.options);
    await argon2.verify(await this.dummyHash, password).catch(() => false);
  }

  needsRehash(hash: string): boolean {
    return argon2.needsRehash(hash, this.options);
  }
}
