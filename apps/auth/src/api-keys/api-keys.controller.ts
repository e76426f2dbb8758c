import { Controller } from '@nestjs/common';
import { MessagePattern, Payload } from '@nestjs/microservices';
import {
  ActorRequestDto,
  CreateApiKeyRequestDto,
  RevokeApiKeyRequestDto,
  Subjects,
  VerifyApiKeyRequestDto,
  type ApiKeyDto,
  type CreatedApiKeyResponseDto,
  type VerifiedApiKeyResponseDto,
} from '@clarion/contracts';
import { ApiKeyService } from './api-key.service';

@Controller()
export class ApiKeysController {
  constructor(private readonly apiKeys: ApiKeyService) {}

  @MessagePattern(Subjects.auth.apiKeysCreate)
  create(@Payload() request: CreateApiKeyRequestDto): Promise<CreatedApiKeyResponseDto> {
    return this.apiKeys.create(request);
  }

  @MessagePattern(Subjects.auth.apiKeysList)
  list(@Payload() request: ActorRequestDto): Promise<ApiKeyDto[]> {
    return this.apiKeys.list(request.actor);
  }

  @MessagePattern(Subjects.auth.apiKeysRevoke)
  revoke(@Payload() request: RevokeApiKeyRequestDto): Promise<ApiKeyDto> {
    return this.apiKeys.revoke(request.actor, request.apiKeyId);
  }

  @MessagePattern(Subjects.auth.apiKeysVerify)
  verify(@Payload() request: VerifyApiKeyRequestDto): Promise<VerifiedApiKeyResponseDto> {
    return this.apiKeys.verify(request.key);
  }
}
