import { METHOD_METADATA, MODULE_METADATA, PATH_METADATA } from '@nestjs/common/constants';
import { GatewayModule } from '../gateway.module';
import { PUBLIC_ROUTE, REQUIRED_PERMISSIONS } from './access.decorators';

type Ctor = new (...args: never[]) => object;

/** Walks the gateway's route table: every route is either deliberately public or declares its permissions. */
describe('gateway route table', () => {
  const controllers = (Reflect.getMetadata(MODULE_METADATA.CONTROLLERS, GatewayModule) ?? []) as Ctor[];
  const routes = controllers.flatMap((controller) =>
    Object.getOwnPropertyNames(controller.prototype)
      .filter((name) => name !== 'constructor')
      .map((name) => ({ controller, name, handler: (controller.prototype as Record<string, unknown>)[name] as object }))
      .filter((r) => Reflect.getMetadata(METHOD_METADATA, r.handler) !== undefined)
      .map((r) => ({
        ...r,
        path: `${String(Reflect.getMetadata(PATH_METADATA, r.controller) ?? '')}/${String(Reflect.getMetadata(PATH_METADATA, r.handler) ?? '')}`,
      })),
  );

  it('has routes to check', () => {
    expect(routes.length).toBeGreaterThanOrEqual(3);
  });

  it.each(routes.map((r) => [r.path, r] as const))('%s declares @Public(), @Authenticated() or @RequirePermissions()', (_path, route) => {
    const isPublic = Reflect.getMetadata(PUBLIC_ROUTE, route.handler) ?? Reflect.getMetadata(PUBLIC_ROUTE, route.controller);
    const permissions = Reflect.getMetadata(REQUIRED_PERMISSIONS, route.handler) ?? Reflect.getMetadata(REQUIRED_PERMISSIONS, route.controller);
    expect(isPublic === true || Array.isArray(permissions)).toBe(true);
  });
});
