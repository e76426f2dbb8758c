import { Body, Controller, Delete, Get, Param, Post, Res } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import {
  Subjects,
  type ActorDto,
  type JwksResponseDto,
  type Permission,
  type SessionDto,
  type TokenPairResponseDto,
  type UserDto,
} from '@clarion/contracts';
import { RpcClient } from '@clarion/messaging';
import type { FastifyReply } from 'fastify';
import { ApiRoute } from '../http/api-route.decorator';
import { ClientInfo, CurrentActor } from '../http/current-actor.decorator';
import { Authenticated, Public } from '../http/access.decorators';
import { onePage } from '../http/page.dto';
import { ChangePasswordBodyDto, LoginBodyDto, RefreshBodyDto, SessionParamsDto } from './auth-http.dto';
import {
  JwksResponse,
  LogoutResponse,
  MeResponse,
  PasswordChangedResponse,
  RevokedCountResponse,
  SessionPage,
  TokenPairResponse,
} from './auth-responses.dto';

/** Authentication over HTTP: each route forwards to the auth service over NATS. */
@ApiTags('auth')
@Controller()
export class AuthController {
  constructor(private readonly rpc: RpcClient) {}

  @Public()
  @Get('.well-known/jwks.json')
  @ApiRoute({ summary: 'Public keys that sign access tokens (JWKS)', type: JwksResponse })
  async jwks(@Res({ passthrough: true }) reply: FastifyReply): Promise<JwksResponseDto> {
    void reply.header('cache-control', 'public, max-age=60');
    return this.rpc.send<JwksResponseDto>(Subjects.auth.jwks, {});
  }

  @Public()
  @Post('api/v1/auth/login')
  @ApiRoute({
    summary: 'Sign in with email and password',
    description: 'Answers the same 401 for an unknown user and a wrong password. Throttled per client address and per account.',
    type: TokenPairResponse,
  })
  login(@Body() body: LoginBodyDto, @ClientInfo() client: { sourceIp?: string; userAgent?: string }): Promise<TokenPairResponseDto> {
    return this.rpc.send(Subjects.auth.login, { ...body, ...client });
  }

  @Public()
  @Post('api/v1/auth/refresh')
  @ApiRoute({ summary: 'Exchange a refresh token for a new token pair', description: 'A refresh token works once; reusing one ends its session.', type: TokenPairResponse })
  refresh(@Body() body: RefreshBodyDto, @ClientInfo() client: { sourceIp?: string; userAgent?: string }): Promise<TokenPairResponseDto> {
    return this.rpc.send(Subjects.auth.refresh, { ...body, ...client });
  }

  @Public()
  @Post('api/v1/auth/logout')
  @ApiRoute({ summary: 'End the session of a refresh token', type: LogoutResponse })
  logout(@Body() body: RefreshBodyDto): Promise<{ revoked: boolean }> {
    return this.rpc.send(Subjects.auth.logout, body);
  }

  @Authenticated()
  @Get('api/v1/auth/me')
  @ApiRoute({ summary: 'The signed-in user and their permissions', description: 'Users only; an API key has no profile (403).', type: MeResponse })
  me(@CurrentActor() actor: ActorDto): Promise<UserDto & { permissions: Permission[] }> {
    return this.rpc.send(Subjects.auth.me, { actor });
  }

  @Authenticated()
  @Get('api/v1/auth/sessions')
  @ApiRoute({ summary: "The signed-in user's active sessions", description: 'Users only (403 for an API key).', type: SessionPage })
  async sessions(@CurrentActor() actor: ActorDto): Promise<{ items: SessionDto[]; nextCursor: null }> {
    return onePage(await this.rpc.send<SessionDto[]>(Subjects.auth.sessionsList, { actor }));
  }

  @Authenticated()
  @Delete('api/v1/auth/sessions/:sessionId')
  @ApiRoute({ summary: 'End one of your sessions', description: 'Users only (403 for an API key).', type: RevokedCountResponse })
  revokeSession(@CurrentActor() actor: ActorDto, @Param() params: SessionParamsDto): Promise<{ revoked: number }> {
    return this.rpc.send(Subjects.auth.sessionsRevoke, { actor, sessionId: params.sessionId });
  }

  @Authenticated()
  @Delete('api/v1/auth/sessions')
  @ApiRoute({ summary: 'End all of your sessions', description: 'Users only (403 for an API key).', type: RevokedCountResponse })
  revokeAllSessions(@CurrentActor() actor: ActorDto): Promise<{ revoked: number }> {
    return this.rpc.send(Subjects.auth.sessionsRevoke, { actor });
  }

  @Authenticated()
  @Post('api/v1/auth/password')
  @ApiRoute({ summary: 'Change your password', description: 'Users only (403 for an API key); 401 when the current password is wrong.', type: PasswordChangedResponse })
  changePassword(@CurrentActor() actor: ActorDto, @Body() body: ChangePasswordBodyDto): Promise<{ changed: true }> {
    return this.rpc.send(Subjects.auth.passwordChange, { actor, ...body });
  }
}
