import { ApiProperty } from '@nestjs/swagger';
import { IsBoolean, IsString, MaxLength } from 'class-validator';
import { FEATURE_FLAG_KEYS, type FeatureFlagDto, type FeatureFlagKey } from '@clarion/contracts';
import { PageOf } from '../http/page.dto';

export class FlagKeyParamsDto {
  @ApiProperty({ enum: FEATURE_FLAG_KEYS, description: 'An unknown key answers 404.' })
  @IsString()
  @MaxLength(100)
  key: string;
}

export class SetFlagBodyDto {
  @ApiProperty()
  @IsBoolean()
  enabled: boolean;
}

export class FeatureFlagResponse implements FeatureFlagDto {
  @ApiProperty({ enum: FEATURE_FLAG_KEYS })
  key: FeatureFlagKey;

  @ApiProperty()
  enabled: boolean;

  @ApiProperty()
  description: string;

  @ApiProperty({ type: 'string', format: 'date-time', nullable: true, description: 'Last change; null while the flag has its default.' })
  updatedAt: string | null;
}

export class FeatureFlagPage extends PageOf(FeatureFlagResponse) {}
