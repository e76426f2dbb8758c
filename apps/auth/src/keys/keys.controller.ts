import { Controller } from '@nestjs/common';
import { MessagePattern } from '@nestjs/microservices';
import { Subjects, type JwksResponseDto } from '@clarion/contracts';
import { KeyRingService } from './key-ring.service';

@Controller()
export class KeysController {
  constructor(private readonly keys: KeyRingService) {}

  /** The public keys that verify access tokens (JWKS, RFC 7517). */
  @MessagePattern(Subjects.auth.jwks)
  async jwks(): Promise<JwksResponseDto> {
    return { keys: (await this.keys.jwks()) as unknown as Array<Record<string, unknown>> };
  }
}
