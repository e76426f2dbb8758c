import { DomainException, ErrorCode } from '@clarion/contracts';
import type { RpcClient } from '@clarion/messaging';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Logger } from 'pino';
import { GatewayEnv } from '../gateway.env';
import { SSO_TEMPORARILY_UNAVAILABLE, SsoController } from './sso.controller';
import { SSO_STATE_COOKIE } from './sso-state-cookie';

describe('the public single sign-on routes', () => {
  const state = 'a'.repeat(43);
  const setup = (failure: DomainException) => {
    const warn = jest.fn();
    const rpc = { send: jest.fn().mockRejectedValue(failure) } as unknown as RpcClient;
    const controller = new SsoController(rpc, Object.assign(new GatewayEnv(), { CLARION_ENV: 'test' }), { warn } as unknown as Logger);
    const request = { protocol: 'http', headers: { cookie: `${SSO_STATE_COOKIE}=${state}` } } as FastifyRequest;
    const reply = { header: jest.fn().mockReturnThis() } as unknown as FastifyReply;
    return {
      warn,
      start: () => controller.start({ tenant: 'acme' }, {}, request, reply),
      callback: () => controller.callback({ state, code: 'c' }, {}, request, reply),
    };
  };
  const failed = (promise: Promise<unknown>) => promise.then(() => null, (e: unknown) => e as DomainException);

  it.each([
    [ErrorCode.UpstreamTimeout, 'clarion.auth.sso.start.v1 did not answer within 5000 ms'],
    [ErrorCode.ServiceUnavailable, 'no instance is serving clarion.auth.sso.start.v1'],
    [ErrorCode.DependencyUnavailable, 'the identity provider is not reachable at 10.2.3.4:8443 (TypeError)'],
    [ErrorCode.Internal, 'clarion.auth.sso.callback.v1 failed'],
  ])('answers %s in one generic sentence and logs the detail', async (code, detail) => {
    for (const route of ['start', 'callback'] as const) {
      const { warn, ...routes } = setup(new DomainException(code, detail));
      const err = await failed(routes[route]());
      expect(err).toMatchObject({ code, message: SSO_TEMPORARILY_UNAVAILABLE });
      expect(warn).toHaveBeenCalledWith(expect.objectContaining({ code, reason: detail }), expect.any(String));
    }
  });

  it("passes the caller's own errors on as auth words them", async () => {
    const refusal = new DomainException(ErrorCode.Unauthenticated, 'this sign-in is unknown, expired or already completed; start again');
    expect(await failed(setup(refusal).callback())).toBe(refusal);
    const forbidden = new DomainException(ErrorCode.Forbidden, 'single sign-on is not available for this tenant');
    expect(await failed(setup(forbidden).start())).toBe(forbidden);
  });
});
