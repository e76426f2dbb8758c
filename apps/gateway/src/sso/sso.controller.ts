import { Body, Controller, Get, Inject, Put, Query, Redirect, Req, Res } from '@nestjs/common';
import { ApiHeader, ApiTags } from '@nestjs/swagger';
import {
  DomainException,
  ERROR_HTTP_STATUS,
  ErrorCode,
  isErrorCode,
  Subjects,
  type ActorDto,
  type SsoConfigDto,
  type StartSsoResponseDto,
  type TokenPairResponseDto,
} from '@clarion/contracts';
import { RpcClient } from '@clarion/messaging';
import { ROOT_LOGGER } from '@clarion/platform';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Logger } from 'pino';
import { TokenPairResponse } from '../auth/auth-responses.dto';
import { GatewayEnv } from '../gateway.env';
import { Public, RequirePermissions } from '../http/access.decorators';
import { ApiRoute } from '../http/api-route.decorator';
import { ClientInfo, CurrentActor } from '../http/current-actor.decorator';
import { ConfigureSsoBodyDto, SsoCallbackQueryDto, SsoConfigResponse, StartSsoQueryDto } from './sso-http.dto';
import { clearedStateCookie, readCookie, sameState, SSO_STATE_COOKIE, stateCookie } from './sso-state-cookie';

/**
 * What the public sign-in routes say for a failure on our side of the request (auth or the IdP unavailable, a
 * timeout): the detail (a subject name, a host) goes to the log, not to an anonymous caller.
 */
export const SSO_TEMPORARILY_UNAVAILABLE = 'single sign-on is unavailable right now; try again later';

/** OpenID Connect single sign-on: the tenant's setting (admins) and the browser sign-in (public). */
@ApiTags('sso')
@Controller('api/v1/auth/sso')
export class SsoController {
  constructor(
    private readonly rpc: RpcClient,
    private readonly env: GatewayEnv,
    @Inject(ROOT_LOGGER) private readonly logger: Logger,
  ) {}

  @Put()
  @RequirePermissions('users:manage')
  @ApiRoute({ summary: "Set the tenant's single sign-on", description: 'The sign-in works while `enabled` and the `sso` feature flag are both on.', type: SsoConfigResponse })
  configure(@CurrentActor() actor: ActorDto, @Body() body: ConfigureSsoBodyDto): Promise<SsoConfigDto> {
    return this.rpc.send(Subjects.auth.ssoConfigure, { actor, ...body });
  }

  @Get()
  @RequirePermissions('users:manage')
  @ApiRoute({ summary: "The tenant's single sign-on setting", description: '404 while none is set. The client secret is never returned.', type: SsoConfigResponse })
  config(@CurrentActor() actor: ActorDto): Promise<SsoConfigDto> {
    return this.rpc.send(Subjects.auth.ssoConfigGet, { actor });
  }

  @Public()
  @Get('start')
  @Redirect()
  @ApiRoute({
    summary: 'Begin a sign-in at the tenant\'s identity provider',
    description: `Redirects the browser to the IdP and sets the HttpOnly cookie \`${SSO_STATE_COOKIE}\` binding the sign-in to this browser (10 minutes, one attempt).`,
    status: 302,
  })
  async start(
    @Query() query: StartSsoQueryDto,
    @ClientInfo() client: { sourceIp?: string; userAgent?: string },
    @Req() request: FastifyRequest,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<{ url: string; statusCode: number }> {
    const started = await this.publicCall<StartSsoResponseDto>(Subjects.auth.ssoStart, { ...query, ...client });
    const maxAge = (Date.parse(started.expiresAt) - Date.now()) / 1000;
    void reply.header('set-cookie', stateCookie(started.state, maxAge, this.secure(request))).header('cache-control', 'no-store');
    return { url: started.authorizationUrl, statusCode: 302 };
  }

  @Public()
  @Get('callback')
  @ApiHeader({ name: 'Cookie', required: true, description: `\`${SSO_STATE_COOKIE}\` as set by /start.` })
  @ApiRoute({
    summary: 'Complete a sign-in with the authorization response',
    description: 'Call it from the browser that began the sign-in, with the parameters the IdP put on the redirect URI. 401 when the state is unknown, used, or not bound to this browser.',
    type: TokenPairResponse,
  })
  async callback(
    @Query() query: SsoCallbackQueryDto,
    @ClientInfo() client: { sourceIp?: string; userAgent?: string },
    @Req() request: FastifyRequest,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<TokenPairResponseDto> {
    void reply.header('cache-control', 'no-store');
    const bound = readCookie(request.headers.cookie, SSO_STATE_COOKIE);
    if (!bound || !sameState(bound, query.state)) {
      throw new DomainException(ErrorCode.Unauthenticated, 'this sign-in was not started in this browser; start again');
    }
    void reply.header('set-cookie', clearedStateCookie(this.secure(request)));
    return this.publicCall(Subjects.auth.ssoCallback, { ...query, ...client });
  }

  /** An RPC for a public route: the caller's own errors (4xx) as auth words them, ours (5xx) in one generic sentence. */
  private async publicCall<T>(subject: string, payload: object): Promise<T> {
    try {
      return await this.rpc.send<T>(subject, payload);
    } catch (err) {
      if (!(err instanceof DomainException) || !isErrorCode(err.code) || ERROR_HTTP_STATUS[err.code] < 500) throw err;
      this.logger.warn({ subject, code: err.code, reason: err.message }, 'single sign-on request failed');
      throw new DomainException(err.code, SSO_TEMPORARILY_UNAVAILABLE);
    }
  }

  /** Secure cookies behind TLS, and always in production (where TLS may end at a load balancer). */
  private secure(request: FastifyRequest): boolean {
    return request.protocol === 'https' || this.env.CLARION_ENV === 'production';
  }
}
