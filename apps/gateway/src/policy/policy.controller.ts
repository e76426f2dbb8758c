import { Body, Controller, Get, Post, Query, Res } from '@nestjs/common';
import { ApiExtraModels, ApiResponse, ApiTags, getSchemaPath } from '@nestjs/swagger';
import { Subjects, type ActorDto, type ImpactReportDto, type PolicyMatrixDto, type SgaclExportDto } from '@clarion/contracts';
import { RpcClient } from '@clarion/messaging';
import type { FastifyReply } from 'fastify';
import { RequirePermissions } from '../http/access.decorators';
import { ApiRoute } from '../http/api-route.decorator';
import { CurrentActor } from '../http/current-actor.decorator';
import { HotRead } from '../cache/hot-read.decorator';
import { ImpactBodyDto, ImpactReportResponse, PolicyMatrixQueryDto, PolicyMatrixResponse, SgaclExportQueryDto, SgaclExportResponse } from './policy-http.dto';

/** The observed policy matrix, SGACLs derived from it and the impact of a proposal; forwarded to the clustering service. */
@ApiTags('policy')
@ApiExtraModels(SgaclExportResponse)
@Controller('api/v1/policy')
export class PolicyController {
  constructor(private readonly rpc: RpcClient) {}

  @Get('matrix')
  @RequirePermissions('policy:read')
  @HotRead()
  @ApiResponse({ status: 304, description: 'Not modified: the If-None-Match tag is current.' })
  @ApiRoute({
    summary: 'The observed policy matrix',
    description: 'Traffic between SGTs (client SGT to server SGT) with its services. Sends an ETag; If-None-Match answers 304.',
    type: PolicyMatrixResponse,
  })
  matrix(@CurrentActor() actor: ActorDto, @Query() query: PolicyMatrixQueryDto): Promise<PolicyMatrixDto> {
    return this.rpc.send(Subjects.clustering.policyMatrix, { actor, ...query });
  }

  @Get('sgacl')
  @RequirePermissions('policy:read')
  @ApiResponse({
    status: 200,
    description: 'The SGACLs: Cisco CLI text as a download (`format=cli`) or the export as JSON (`format=json`).',
    content: { 'application/json': { schema: { $ref: getSchemaPath(SgaclExportResponse) } }, 'text/plain': { schema: { type: 'string' } } },
  })
  @ApiRoute({
    summary: 'Export SGACLs derived from the observed traffic',
    description: 'A permit per service seen often enough (`minFlows`, `minShare`), then the default action; rendered as Cisco CLI or JSON.',
  })
  async sgacl(@CurrentActor() actor: ActorDto, @Query() query: SgaclExportQueryDto, @Res({ passthrough: true }) reply: FastifyReply): Promise<SgaclExportDto | string> {
    const exported = await this.rpc.send<SgaclExportDto>(Subjects.clustering.policySgacl, { actor, ...query });
    if (query.format === 'json') return exported;
    const stamp = exported.generatedAt.replace(/\..*/, 'Z').replace(/[^0-9A-Za-z]/g, '');
    void reply
      .type('text/plain; charset=utf-8')
      .header('content-disposition', `attachment; filename="clarion-sgacl-${stamp}.txt"`)
      .header('cache-control', 'no-store');
    return exported.cli ?? '';
  }

  @Post('impact')
  @RequirePermissions('policy:read')
  @ApiRoute({
    summary: 'Impact of a policy on observed traffic',
    description: 'Replays the observed matrix against a proposal (the derived one when none is given) and lists what it would block, with risk.',
    type: ImpactReportResponse,
  })
  impact(@CurrentActor() actor: ActorDto, @Body() body: ImpactBodyDto): Promise<ImpactReportDto> {
    return this.rpc.send(Subjects.clustering.policyImpact, { actor, ...body });
  }
}
