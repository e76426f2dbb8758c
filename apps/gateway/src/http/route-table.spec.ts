import { Controller, Delete, Get, Post } from '@nestjs/common';
import { ApiExcludeEndpoint } from '@nestjs/swagger';
import { Authenticated, Public, RequirePermissions } from './access.decorators';
import { auditActionOf, routeTable } from './route-table';

@Controller('api/v1/things')
class ThingsController {
  @Get()
  @RequirePermissions('clusters:read')
  list(): string {
    return 'x';
  }

  @Delete(':id')
  @RequirePermissions('clusters:write', 'jobs:run')
  remove(): string {
    return 'x';
  }

  @Post('mine')
  @Authenticated()
  mine(): string {
    return 'x';
  }

  @Get('hidden')
  @Public()
  @ApiExcludeEndpoint()
  hidden(): string {
    return 'x';
  }

  @Get('undeclared')
  undeclared(): string {
    return 'x';
  }

  helper(): string {
    return 'x';
  }
}

@Public()
@Controller()
class OpenController {
  @Get('healthz')
  healthz(): string {
    return 'x';
  }
}

describe('routeTable', () => {
  const routes = routeTable([ThingsController, OpenController]);
  const byKey = Object.fromEntries(routes.map((r) => [`${r.method} ${r.path}`, r]));

  it('reads method, full path and access rule of every handler (and ignores plain methods)', () => {
    expect(Object.keys(byKey).sort()).toEqual(
      ['DELETE /api/v1/things/:id', 'GET /api/v1/things', 'GET /api/v1/things/hidden', 'GET /api/v1/things/undeclared', 'GET /healthz', 'POST /api/v1/things/mine'].sort(),
    );
    expect(byKey['DELETE /api/v1/things/:id']).toMatchObject({ isPublic: false, permissions: ['clusters:write', 'jobs:run'], documented: true });
    expect(byKey['POST /api/v1/things/mine']).toMatchObject({ isPublic: false, permissions: [] });
    expect(byKey['GET /api/v1/things/undeclared']).toMatchObject({ isPublic: false, permissions: undefined });
  });

  it('inherits @Public() from the controller and marks routes kept out of the document', () => {
    expect(byKey['GET /healthz']).toMatchObject({ isPublic: true });
    expect(byKey['GET /api/v1/things/hidden']).toMatchObject({ isPublic: true, documented: false });
  });

  it('names the audit action of a route without slashes or spaces', () => {
    expect(auditActionOf('POST', '/api/v1/users/:id/password-reset')).toBe('http.post.api.v1.users.:id.password-reset');
    expect(auditActionOf('DELETE', '/api/v1/api-keys/:id')).toMatch(/^[a-z][a-z0-9_.:-]{1,99}$/);
  });
});
