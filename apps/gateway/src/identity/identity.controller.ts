import { Body, Controller, Post } from '@nestjs/common';
import { ApiBody, ApiConsumes, ApiExtraModels, ApiTags, getSchemaPath } from '@nestjs/swagger';
import { Subjects, type ActorDto, type IdentityImportResultDto } from '@clarion/contracts';
import { RpcClient } from '@clarion/messaging';
import { RequirePermissions } from '../http/access.decorators';
import { ApiRoute } from '../http/api-route.decorator';
import { CurrentActor } from '../http/current-actor.decorator';
import { IDENTITY_IMPORT_MAX_CHARS, IdentityImportBodyDto, IdentityImportResponse } from './identity-http.dto';

/** Identity context per endpoint (device type, user, directory groups) from an inventory or NAC; forwarded to the clustering service. */
@ApiTags('identity')
@ApiExtraModels(IdentityImportBodyDto)
@Controller('api/v1/identity')
export class IdentityController {
  constructor(private readonly rpc: RpcClient) {}

  @Post('import')
  @RequirePermissions('identity:import')
  @ApiConsumes('application/json', 'text/csv')
  @ApiBody({
    description: '`{ format, content }` as JSON, or the CSV itself with `Content-Type: text/csv`.',
    schema: { anyOf: [{ $ref: getSchemaPath(IdentityImportBodyDto) }, { type: 'string', maxLength: IDENTITY_IMPORT_MAX_CHARS, description: 'CSV text.' }] },
  })
  @ApiRoute({
    summary: 'Import endpoint identities',
    description: 'Records are matched to endpoints by MAC, else IP; imported identities add features to clustering and labels. Rejected records are listed, not fatal.',
    type: IdentityImportResponse,
  })
  import(@CurrentActor() actor: ActorDto, @Body() body: IdentityImportBodyDto): Promise<IdentityImportResultDto> {
    return this.rpc.send(Subjects.clustering.identityImport, { actor, format: body.format, content: body.content });
  }
}
