import { Body, Controller, Get, Param, Patch, Post } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import { Subjects, type ActorDto, type UserDto } from '@clarion/contracts';
import { RpcClient } from '@clarion/messaging';
import { UserPage, UserResponse } from '../auth/auth-responses.dto';
import { RequirePermissions } from '../http/access.decorators';
import { ApiRoute } from '../http/api-route.decorator';
import { CurrentActor } from '../http/current-actor.decorator';
import { onePage } from '../http/page.dto';
import { CreateUserBodyDto, ResetPasswordBodyDto, UpdateUserBodyDto, UserIdParamsDto } from './users-http.dto';

/** Users of the caller's tenant, managed by its admins; each route forwards to the auth service over NATS. */
@ApiTags('users')
@Controller('api/v1/users')
export class UsersController {
  constructor(private readonly rpc: RpcClient) {}

  @Post()
  @RequirePermissions('users:manage')
  @ApiRoute({ summary: 'Create a user', description: '409 when the email is taken; 403 when granting a role beyond your own permissions.', status: 201, type: UserResponse })
  create(@CurrentActor() actor: ActorDto, @Body() body: CreateUserBodyDto): Promise<UserDto> {
    return this.rpc.send(Subjects.auth.usersCreate, { actor, ...body });
  }

  @Get()
  @RequirePermissions('users:read')
  @ApiRoute({ summary: "List the tenant's users", description: 'At most 500 users, in one page.', type: UserPage })
  async list(@CurrentActor() actor: ActorDto): Promise<{ items: UserDto[]; nextCursor: null }> {
    return onePage(await this.rpc.send<UserDto[]>(Subjects.auth.usersList, { actor }));
  }

  @Patch(':id')
  @RequirePermissions('users:manage')
  @ApiRoute({ summary: "Change a user's roles or status", description: 'At least one of `roles` and `status`. Disabling ends their sessions.', type: UserResponse })
  update(@CurrentActor() actor: ActorDto, @Param() params: UserIdParamsDto, @Body() body: UpdateUserBodyDto): Promise<UserDto> {
    return this.rpc.send(Subjects.auth.usersUpdate, { actor, userId: params.id, ...body });
  }

  @Post(':id/password-reset')
  @RequirePermissions('users:manage')
  @ApiRoute({ summary: "Reset a user's password", description: 'Sets a temporary password the user must change at the next sign-in.', type: UserResponse })
  resetPassword(@CurrentActor() actor: ActorDto, @Param() params: UserIdParamsDto, @Body() body: ResetPasswordBodyDto): Promise<UserDto> {
    return this.rpc.send(Subjects.auth.usersResetPassword, { actor, userId: params.id, temporaryPassword: body.temporaryPassword });
  }

  @Post(':id/unlock')
  @RequirePermissions('users:manage')
  @ApiRoute({
    summary: "Lift a user's sign-in throttling",
    description: 'Forgets their failed sign-ins and any block, without changing the password. 403 for a user who holds permissions you do not hold.',
    type: UserResponse,
  })
  unlock(@CurrentActor() actor: ActorDto, @Param() params: UserIdParamsDto): Promise<UserDto> {
    return this.rpc.send(Subjects.auth.usersUnlock, { actor, userId: params.id });
  }
}
