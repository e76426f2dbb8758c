import { Controller } from '@nestjs/common';
import { MessagePattern, Payload } from '@nestjs/microservices';
import {
  ActorRequestDto,
  LoginRequestDto,
  LogoutRequestDto,
  RefreshRequestDto,
  RevokeSessionsRequestDto,
  Subjects,
  type SessionDto,
  type TokenPairResponseDto,
} from '@clarion/contracts';
import { SessionService } from './session.service';

@Controller()
export class SessionsController {
  constructor(private readonly sessions: SessionService) {}

  @MessagePattern(Subjects.auth.login)
  login(@Payload() request: LoginRequestDto): Promise<TokenPairResponseDto> {
    return this.sessions.login(request);
  }

  @MessagePattern(Subjects.auth.refresh)
  refresh(@Payload() request: RefreshRequestDto): Promise<TokenPairResponseDto> {
    return this.sessions.refresh(request);
  }

  @MessagePattern(Subjects.auth.logout)
  logout(@Payload() request: LogoutRequestDto): Promise<{ revoked: boolean }> {
    return this.sessions.logout(request.refreshToken);
  }

  @MessagePattern(Subjects.auth.sessionsList)
  list(@Payload() request: ActorRequestDto): Promise<SessionDto[]> {
    return this.sessions.list(request.actor);
  }

  @MessagePattern(Subjects.auth.sessionsRevoke)
  revoke(@Payload() request: RevokeSessionsRequestDto): Promise<{ revoked: number }> {
    return this.sessions.revoke(request.actor, request.sessionId);
  }
}
