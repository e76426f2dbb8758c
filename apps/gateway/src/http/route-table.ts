import { RequestMethod, type Type } from '@nestjs/common';
import { METHOD_METADATA, PATH_METADATA } from '@nestjs/common/constants';
import { HOT_READ } from '../cache/hot-read.decorator';
import { PUBLIC_ROUTE, REQUIRED_PERMISSIONS } from './access.decorators';

/** One route of the gateway as its decorators declare it. */
export interface RouteEntry {
  controller: Type<unknown>;
  handlerName: string;
  method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  /** Fastify path template, e.g. `/api/v1/users/:id`. */
  path: string;
  isPublic: boolean;
  /** Permissions the caller must hold: `[]` for any verified credential, undefined when the route declares nothing. */
  permissions: string[] | undefined;
  /** False for routes kept out of the OpenAPI document (@ApiExcludeEndpoint: the Swagger UI's static files). */
  documented: boolean;
  /** A cached hot read (@HotRead()). */
  hotRead: boolean;
}

/** The metadata key of @nestjs/swagger's @ApiExcludeEndpoint (DECORATORS.API_EXCLUDE_ENDPOINT, not exported). */
const API_EXCLUDE_ENDPOINT = 'swagger/apiExcludeEndpoint';

const joinPath = (...parts: string[]): string => `/${parts.join('/')}`.replace(/\/{2,}/g, '/').replace(/(.)\/$/, '$1');

/**
 * The route table, read from the controllers' metadata: what the access guard enforces, what the OpenAPI document
 * states and what the RBAC matrix test walks all come from here.
 */
export function routeTable(controllers: ReadonlyArray<Type<unknown>>): RouteEntry[] {
  return controllers.flatMap((controller) => {
    const prefix = String(Reflect.getMetadata(PATH_METADATA, controller) ?? '');
    const proto = controller.prototype as Record<string, unknown>;
    return Object.getOwnPropertyNames(proto)
      .filter((name) => name !== 'constructor' && typeof proto[name] === 'function')
      .flatMap((name) => {
        const handler = proto[name] as object;
        const method = Reflect.getMetadata(METHOD_METADATA, handler) as RequestMethod | undefined;
        if (method === undefined) return [];
        const isPublic = (Reflect.getMetadata(PUBLIC_ROUTE, handler) ?? Reflect.getMetadata(PUBLIC_ROUTE, controller)) === true;
        const permissions = (Reflect.getMetadata(REQUIRED_PERMISSIONS, handler) ?? Reflect.getMetadata(REQUIRED_PERMISSIONS, controller)) as string[] | undefined;
        return [
          {
            controller,
            handlerName: name,
            method: RequestMethod[method] as RouteEntry['method'],
            path: joinPath(prefix, String(Reflect.getMetadata(PATH_METADATA, handler) ?? '')),
            isPublic,
            permissions,
            documented: !(Reflect.getMetadata(API_EXCLUDE_ENDPOINT, handler) as { disable?: boolean } | undefined)?.disable,
            hotRead: Reflect.getMetadata(HOT_READ, handler) === true,
          },
        ];
      });
  });
}

/** `http.post.api.v1.users.:id.password-reset`: the audit action of a route (the audit log allows no `/` or spaces). */
export const auditActionOf = (method: string, path: string): string =>
  `http.${method.toLowerCase()}.${path.replace(/^\/+/, '').replace(/\//g, '.')}`.slice(0, 100);
