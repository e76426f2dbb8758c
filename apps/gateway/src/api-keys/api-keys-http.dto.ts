import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { ArrayMaxSize, ArrayMinSize, IsArray, IsIn, IsISO8601, IsString, IsUUID, MaxLength, MinLength } from 'class-validator';
import { PERMISSIONS, type Permission, IsOmittable } from '@clarion/contracts';

export class ApiKeyIdParamsDto {
  @ApiProperty({ format: 'uuid' })
  @IsUUID()
  id: string;
}

export class CreateApiKeyBodyDto {
  @ApiProperty({ minLength: 1, maxLength: 100, example: 'nightly SGACL export' })
  @IsString()
  @MinLength(1)
  @MaxLength(100)
  name: string;

  @ApiProperty({ enum: PERMISSIONS, isArray: true, minItems: 1, maxItems: PERMISSIONS.length, description: 'A subset of your own permissions.' })
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(PERMISSIONS.length)
  @IsIn(PERMISSIONS, { each: true })
  scopes: Permission[];

  @ApiPropertyOptional({ format: 'date-time', description: 'When the key stops working; in the future. Never, when omitted.' })
  @IsOmittable()
  @IsISO8601({ strict: true })
  expiresAt?: string;
}
