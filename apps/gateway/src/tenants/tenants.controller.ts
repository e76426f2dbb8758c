import { Body, Controller, Get, Param, Patch, Post, Query } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import { Subjects, type ActorDto, type Page, type TenantDto } from '@clarion/contracts';
import { RpcClient } from '@clarion/messaging';
import { RequirePermissions } from '../http/access.decorators';
import { ApiRoute } from '../http/api-route.decorator';
import { CurrentActor } from '../http/current-actor.decorator';
import { CreateTenantBodyDto, ListTenantsQueryDto, TenantIdParamsDto, TenantPage, TenantResponse, UpdateTenantBodyDto } from './tenants-http.dto';

/** Tenants, for superadmins (`tenants:manage`); forwarded to the auth service. */
@ApiTags('tenants')
@Controller('api/v1/tenants')
export class TenantsController {
  constructor(private readonly rpc: RpcClient) {}

  @Get()
  @RequirePermissions('tenants:manage')
  @ApiRoute({ summary: 'List every tenant', description: 'By slug, `limit` per page.', type: TenantPage })
  list(@CurrentActor() actor: ActorDto, @Query() query: ListTenantsQueryDto): Promise<Page<TenantDto>> {
    return this.rpc.send(Subjects.auth.tenantsList, { actor, ...query });
  }

  @Post()
  @RequirePermissions('tenants:manage')
  @ApiRoute({ summary: 'Create a tenant', description: 'Active at once; its exporters are accepted from the next packet. 409 when the slug is taken.', status: 201, type: TenantResponse })
  create(@CurrentActor() actor: ActorDto, @Body() body: CreateTenantBodyDto): Promise<TenantDto> {
    return this.rpc.send(Subjects.auth.tenantsCreate, { actor, ...body });
  }

  @Get(':id')
  @RequirePermissions('tenants:manage')
  @ApiRoute({ summary: 'One tenant', type: TenantResponse })
  get(@CurrentActor() actor: ActorDto, @Param() params: TenantIdParamsDto): Promise<TenantDto> {
    return this.rpc.send(Subjects.auth.tenantsGet, { actor, tenantId: params.id });
  }

  @Patch(':id')
  @RequirePermissions('tenants:manage')
  @ApiRoute({ summary: 'Rename, suspend or resume a tenant', description: '409 when suspending your own tenant.', type: TenantResponse })
  update(@CurrentActor() actor: ActorDto, @Param() params: TenantIdParamsDto, @Body() body: UpdateTenantBodyDto): Promise<TenantDto> {
    return this.rpc.send(Subjects.auth.tenantsUpdate, { actor, ...body, tenantId: params.id });
  }
}
