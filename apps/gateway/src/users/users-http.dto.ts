import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { ArrayMaxSize, IsArray, IsEmail, IsIn, IsString, IsUUID, MaxLength, MinLength, ValidateIf } from 'class-validator';
import { ROLE_NAMES, type RoleName, IsOmittable } from '@clarion/contracts';

export class UserIdParamsDto {
  @ApiProperty({ format: 'uuid' })
  @IsUUID()
  id: string;
}

export class CreateUserBodyDto {
  @ApiProperty({ format: 'email', maxLength: 254 })
  @IsEmail()
  @MaxLength(254)
  email: string;

  @ApiProperty({ minLength: 1, maxLength: 200 })
  @IsString()
  @MinLength(1)
  @MaxLength(200)
  displayName: string;

  @ApiProperty({ enum: ROLE_NAMES, isArray: true, maxItems: ROLE_NAMES.length, description: 'You can grant only roles whose permissions you hold.' })
  @IsArray()
  @ArrayMaxSize(ROLE_NAMES.length)
  @IsIn(ROLE_NAMES, { each: true })
  roles: RoleName[];

  @ApiProperty({ format: 'password', maxLength: 1024, description: 'Initial password (12+ characters, not guessable); the user must change it at first sign-in.' })
  @IsString()
  @MaxLength(1024)
  password: string;
}

export class UpdateUserBodyDto {
  @ApiPropertyOptional({ enum: ROLE_NAMES, isArray: true, maxItems: ROLE_NAMES.length })
  @ValidateIf((o: UpdateUserBodyDto) => o.roles !== undefined || o.status === undefined)
  @IsArray()
  @ArrayMaxSize(ROLE_NAMES.length)
  @IsIn(ROLE_NAMES, { each: true })
  roles?: RoleName[];

  @ApiPropertyOptional({ enum: ['active', 'disabled'], description: 'Disabling a user ends their sessions.' })
  @IsOmittable()
  @IsIn(['active', 'disabled'])
  status?: 'active' | 'disabled';
}

export class ResetPasswordBodyDto {
  @ApiProperty({ format: 'password', maxLength: 1024, description: 'A temporary password to hand over; the user must change it at the next sign-in.' })
  @IsString()
  @MaxLength(1024)
  temporaryPassword: string;
}
