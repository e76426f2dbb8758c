import { applyDecorators } from '@nestjs/common';
import { ApiBody, ApiConsumes, ApiExtraModels, ApiProduces, ApiResponse, getSchemaPath } from '@nestjs/swagger';
import { INVENTORY_IMPORT_MAX_CHARS, type InventoryExportDto } from '@clarion/contracts';
import type { FastifyReply } from 'fastify';
import { InventoryImportBodyDto } from './inventory-http.dto';

/** An import route's body: `{ format, content, dryRun }` as JSON, or the CSV itself (`Content-Type: text/csv`, `?dryRun=true`). */
export const ImportBody = (): MethodDecorator & ClassDecorator =>
  applyDecorators(
    ApiExtraModels(InventoryImportBodyDto),
    ApiConsumes('application/json', 'text/csv'),
    ApiBody({
      description: '`{ format, content, dryRun }` as JSON, or the CSV itself with `Content-Type: text/csv` (then `dryRun` in the query).',
      schema: { anyOf: [{ $ref: getSchemaPath(InventoryImportBodyDto) }, { type: 'string', maxLength: INVENTORY_IMPORT_MAX_CHARS, description: 'CSV text.' }] },
    }),
  );

/** An export route's answer: the records as a CSV or JSON download. */
export const ExportAnswer = (): MethodDecorator =>
  applyDecorators(
    ApiProduces('text/csv', 'application/json'),
    ApiResponse({ status: 200, description: 'Every record, as a download in the format asked (the import takes it back unchanged).', content: { 'text/csv': { schema: { type: 'string' } }, 'application/json': { schema: { type: 'array', items: { type: 'object' } } } } }),
  );

const EXPORT_TYPES = { csv: 'text/csv; charset=utf-8; header=present', json: 'application/json; charset=utf-8' } as const;

/** Sends an export as its text, typed, as an attachment named after what it holds. */
export function sendExport(reply: FastifyReply, exported: InventoryExportDto): string {
  void reply
    .type(EXPORT_TYPES[exported.format])
    .header('content-disposition', `attachment; filename="clarion-${exported.kind}.${exported.format}"`)
    .header('cache-control', 'no-store');
  return exported.content;
}
