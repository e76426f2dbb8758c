import { Controller, Get, Injectable, Param, Res } from '@nestjs/common';
import { ApiExcludeEndpoint, ApiTags, type OpenAPIObject } from '@nestjs/swagger';
import { DomainException, ErrorCode } from '@clarion/contracts';
import type { FastifyReply } from 'fastify';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { Public } from '../http/access.decorators';
import { ApiRoute } from '../http/api-route.decorator';

/** The generated document, set once at boot (configure-http.ts) before the server listens. */
@Injectable()
export class OpenApiDocumentHolder {
  document?: OpenAPIObject;
}

/** The Swagger UI files served from `swagger-ui-dist`, plus our own start script (no inline script: the CSP forbids it). */
type Asset = { type: string } & ({ file: string } | { body: string });
const ASSETS: Record<string, Asset> = {
  'swagger-ui.css': { file: 'swagger-ui.css', type: 'text/css; charset=utf-8' },
  'swagger-ui-bundle.js': { file: 'swagger-ui-bundle.js', type: 'application/javascript; charset=utf-8' },
  'favicon-32x32.png': { file: 'favicon-32x32.png', type: 'image/png' },
  'init.js': {
    type: 'application/javascript; charset=utf-8',
    body: "window.ui = SwaggerUIBundle({ url: '/api/docs/openapi.json', dom_id: '#swagger-ui', deepLinking: true });\n",
  },
};

const PAGE = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>Clarion API</title>
<link rel="stylesheet" href="/api/docs/assets/swagger-ui.css">
<link rel="icon" type="image/png" href="/api/docs/assets/favicon-32x32.png">
</head>
<body>
<div id="swagger-ui"></div>
<script src="/api/docs/assets/swagger-ui-bundle.js"></script>
<script src="/api/docs/assets/init.js"></script>
</body>
</html>
`;

/** API documentation: the OpenAPI 3.1 document and a Swagger UI reading it. Public, like a product's docs site. */
@ApiTags('docs')
@Public()
@Controller('api/docs')
export class DocsController {
  private readonly cache = new Map<string, Buffer>();

  constructor(private readonly holder: OpenApiDocumentHolder) {}

  @Get()
  @ApiRoute({ summary: 'API documentation (Swagger UI)' })
  page(@Res({ passthrough: true }) reply: FastifyReply): string {
    void reply.type('text/html; charset=utf-8').header('cache-control', 'no-cache');
    return PAGE;
  }

  @Get('openapi.json')
  @ApiRoute({ summary: 'This OpenAPI 3.1 document' })
  openapi(@Res({ passthrough: true }) reply: FastifyReply): OpenAPIObject {
    if (!this.holder.document) throw new DomainException(ErrorCode.ServiceUnavailable, 'the API document is not built yet');
    void reply.header('cache-control', 'no-cache');
    return this.holder.document;
  }

  @Get('assets/:file')
  @ApiExcludeEndpoint()
  asset(@Param('file') file: string, @Res({ passthrough: true }) reply: FastifyReply): Buffer {
    const asset = Object.hasOwn(ASSETS, file) ? ASSETS[file] : undefined;
    if (!asset) throw new DomainException(ErrorCode.NotFound, 'no such file');
    let body = this.cache.get(file);
    if (!body) {
      body = 'body' in asset ? Buffer.from(asset.body) : readFileSync(join(swaggerUiDist(), asset.file));
      this.cache.set(file, body);
    }
    void reply.type(asset.type).header('cache-control', 'public, max-age=3600');
    return body;
  }
}

const swaggerUiDist = (): string => dirname(require.resolve('swagger-ui-dist/package.json'));
