import { ApiProperty } from '@nestjs/swagger';
import { IsIn, IsString, MaxLength } from 'class-validator';
import type { IdentityImportResultDto } from '@clarion/contracts';

/** The clustering service takes at most this much text per import (one NATS message). */
export const IDENTITY_IMPORT_MAX_CHARS = 800_000;

export class IdentityImportBodyDto {
  @ApiProperty({ enum: ['csv', 'json'] })
  @IsIn(['csv', 'json'])
  format: 'csv' | 'json';

  @ApiProperty({
    maxLength: IDENTITY_IMPORT_MAX_CHARS,
    description: 'CSV with the header `mac,ip,device_type,user,groups` (groups `;`-separated), or a JSON array of such records. At most 20,000 records.',
  })
  @IsString()
  @MaxLength(IDENTITY_IMPORT_MAX_CHARS)
  content: string;
}

export class RejectedRecordResponse {
  @ApiProperty({ description: '1-based CSV line or JSON array index.' })
  at: number;

  @ApiProperty()
  reason: string;
}

export class IdentityImportResponse implements IdentityImportResultDto {
  @ApiProperty()
  records: number;

  @ApiProperty()
  imported: number;

  @ApiProperty({ type: [RejectedRecordResponse], description: 'The first 100 rejected records and why.' })
  rejected: Array<{ at: number; reason: string }>;

  @ApiProperty()
  rejectedCount: number;
}
