import { Body, Controller, Delete, Get, HttpCode, Param, Post, Res } from '@nestjs/common';
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
import { ClientInfo, CurrentActor } from '../http/current-actor.decorator';
import { Authenticated, Public } from '../http/access.decorators';
import { ChangePasswordBodyDto, LoginBodyDto, RefreshBodyDto, SessionParamsDto } from './auth-http.dto';

/** Authentication over HTTP: each route forwards to the auth service over NATS. */
@Controller()
export class AuthController {
  constructor(private readonly rpc: RpcClient) {}

  @Public()
  @Get('.well-known/jwks.json')
  async jwks(@Res({ passthrough: true }) reply: FastifyReply): Promise<JwksResponseDto> {
    void reply.header('cache-control', 'public, max-age=60');
    return this.rpc.send<JwksResponseDto>(Subjects.auth.jwks, {});
  }

  @Public()
  @Post('api/v1/auth/login')
  @HttpCode(200)
  login(@Body() body: LoginBodyDto, @ClientInfo() client: { sourceIp?: string; userAgent?: string }): Promise<TokenPairResponseDto> {
    return this.rpc.send(Subjects.auth.login, { ...body, ...client });
  }

  @Public()
  @Post('api/v1/auth/refresh')
  @HttpCode(200)
  refresh(@Body() body: RefreshBodyDto, @ClientInfo() client: { sourceIp?: string; userAgent?: string }): Promise<TokenPairResponseDto> {
    return this.rpc.send(Subjects.auth.refresh, { ...body, ...client });
  }

  @Public()
  @Post('api/v1/auth/logout')
  @HttpCode(200)
  logout(@Body() body: RefreshBodyDto): Promise<{ revoked: boolean }> {
    return this.rpc.send(Subjects.auth.logout, body);
  }

  @Authenticated()
  @Get('api/v1/auth/me')
  me(@CurrentActor() actor: ActorDto): Promise<UserDto & { permissions: Permission[] }> {
    return this.rpc.send(Subjects.auth.me, { actor });
  }

  @Authenticated()
  @Get('api/v1/auth/sessions')
  sessions(@CurrentActor() actor: ActorDto): Promise<SessionDto[]> {
    return this.rpc.send(Subjects.auth.sessionsList, { actor });
  }

  @Authenticated()
  @Delete('api/v1/auth/sessions/:sessionId')
  revokeSession(@CurrentActor() actor: ActorDto, @Param() params: SessionParamsDto): Promise<{ revoked: number }> {
    return this.rpc.send(Subjects.auth.sessionsRevoke, { actor, sessionId: params.sessionId });
  }

  @Authenticated()
  @Delete('api/v1/auth/sessions')
  revokeAllSessions(@CurrentActor() actor: ActorDto): Promise<{ revoked: number }> {
    return this.rpc.send(Subjects.auth.sessionsRevoke, { actor });
  }

  @Authenticated()
  @Post('api/v1/auth/password')
  @HttpCode(200)
  changePassword(@CurrentActor() actor: ActorDto, @Body() body: ChangePasswordBodyDto): Promise<{ changed: true }> {
    return this.rpc.send(Subjects.auth.passwordChange, { actor, ...body });
  }
}
