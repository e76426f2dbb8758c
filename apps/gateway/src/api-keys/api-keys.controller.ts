import { Body, Controller, Delete, Get, Param, Post } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import { Subjects, type ActorDto, type ApiKeyDto, type CreatedApiKeyResponseDto } from '@clarion/contracts';
import { RpcClient } from '@clarion/messaging';
import { HttpAuditService, SENSITIVE_READS } from '../audit/http-audit.service';
import { ApiKeyPage, ApiKeyResponse, CreatedApiKeyResponse } from '../auth/auth-responses.dto';
import { RequirePermissions } from '../http/access.decorators';
import { ApiRoute } from '../http/api-route.decorator';
import { CurrentActor } from '../http/current-actor.decorator';
import { onePage } from '../http/page.dto';
import { ApiKeyIdParamsDto, CreateApiKeyBodyDto } from './api-keys-http.dto';

/** API keys for automation; each route forwards to the auth service over NATS. */
@ApiTags('api-keys')
@Controller('api/v1/api-keys')
export class ApiKeysController {
  constructor(
    private readonly rpc: RpcClient,
    private readonly audit: HttpAuditService,
  ) {}

  @Post()
  @RequirePermissions('apikeys:manage')
  @ApiRoute({
    summary: 'Create an API key',
    description: 'The answer holds the whole key once. Send it as `X-API-Key` (or `Authorization: Bearer`).',
    status: 201,
    type: CreatedApiKeyResponse,
  })
  create(@CurrentActor() actor: ActorDto, @Body() body: CreateApiKeyBodyDto): Promise<CreatedApiKeyResponseDto> {
    return this.rpc.send(Subjects.auth.apiKeysCreate, { actor, ...body });
  }

  @Get()
  @RequirePermissions('apikeys:manage')
  @ApiRoute({ summary: "List the tenant's API keys", description: 'Never the keys themselves, only their prefixes.', type: ApiKeyPage })
  async list(@CurrentActor() actor: ActorDto): Promise<{ items: ApiKeyDto[]; nextCursor: null }> {
    const keys = await this.audit.audited(actor, SENSITIVE_READS.apiKeyList, {}, () => this.rpc.send<ApiKeyDto[]>(Subjects.auth.apiKeysList, { actor }), (list) => list.length);
    return onePage(keys);
  }

  @Delete(':id')
  @RequirePermissions('apikeys:manage')
  @ApiRoute({
    summary: 'Revoke an API key',
    description: 'Gateways may accept the key from their cache for up to API_KEY_CACHE_TTL_S seconds more.',
    type: ApiKeyResponse,
  })
  revoke(@CurrentActor() actor: ActorDto, @Param() params: ApiKeyIdParamsDto): Promise<ApiKeyDto> {
    return this.rpc.send(Subjects.auth.apiKeysRevoke, { actor, apiKeyId: params.id });
  }
}
