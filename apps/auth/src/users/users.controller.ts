import { Controller } from '@nestjs/common';
import { MessagePattern, Payload } from '@nestjs/microservices';
import {
  ActorRequestDto,
  ChangePasswordRequestDto,
  CreateUserRequestDto,
  ResetPasswordRequestDto,
  Subjects,
  UnlockUserRequestDto,
  UpdateUserRequestDto,
  type Permission,
  type UserDto,
} from '@clarion/contracts';
import { AccountUnlockService } from '../throttle/account-unlock.service';
import { PasswordChangeService } from './password-change.service';
import { UserService } from './user.service';

@Controller()
export class UsersController {
  constructor(
    private readonly users: UserService,
    private readonly unlocks: AccountUnlockService,
    private readonly passwords: PasswordChangeService,
  ) {}

  @MessagePattern(Subjects.auth.usersUpdate)
  update(@Payload() request: UpdateUserRequestDto): Promise<UserDto> {
    return this.users.update(request);
  }

  @MessagePattern(Subjects.auth.usersResetPassword)
  async resetPassword(@Payload() request: ResetPasswordRequestDto): Promise<UserDto> {
    const user = await this.users.resetPassword(request);
    await this.unlocks.release(user.tenantId, user.email);
    return user;
  }

  @MessagePattern(Subjects.auth.usersUnlock)
  unlock(@Payload() request: UnlockUserRequestDto): Promise<UserDto> {
    return this.unlocks.unlock(request);
  }

  @MessagePattern(Subjects.auth.usersCreate)
  create(@Payload() request: CreateUserRequestDto): Promise<UserDto> {
    return this.users.create(request);
  }

  @MessagePattern(Subjects.auth.usersList)
  list(@Payload() request: ActorRequestDto): Promise<UserDto[]> {
    return this.users.list(request.actor);
  }

  @MessagePattern(Subjects.auth.me)
  me(@Payload() request: ActorRequestDto): Promise<UserDto & { permissions: Permission[] }> {
    return this.users.me(request.actor);
  }

  @MessagePattern(Subjects.auth.passwordChange)
  changePassword(@Payload() request: ChangePasswordRequestDto): Promise<{ changed: true }> {
    return this.passwords.changePassword(request);
  }
}
