import { Controller } from '@nestjs/common';
import { MessagePattern, Payload } from '@nestjs/microservices';
import { CreateTenantRequestDto, ListTenantsRequestDto, Subjects, TenantRefRequestDto, UpdateTenantRequestDto, type Page, type TenantDto } from '@clarion/contracts';
import { TenantService } from './tenant.service';

/** Tenants over NATS (superadmins). */
@Controller()
export class TenantsController {
  constructor(private readonly tenants: TenantService) {}

  @MessagePattern(Subjects.auth.tenantsList)
  list(@Payload() request: ListTenantsRequestDto): Promise<Page<TenantDto>> {
    return this.tenants.list(request);
  }

  @MessagePattern(Subjects.auth.tenantsGet)
  get(@Payload() request: TenantRefRequestDto): Promise<TenantDto> {
    return this.tenants.get(request);
  }

  @MessagePattern(Subjects.auth.tenantsCreate)
  create(@Payload() request: CreateTenantRequestDto): Promise<TenantDto> {
    return this.tenants.create(request);
  }

  @MessagePattern(Subjects.auth.tenantsUpdate)
  update(@Payload() request: UpdateTenantRequestDto): Promise<TenantDto> {
    return this.tenants.update(request);
  }
}
