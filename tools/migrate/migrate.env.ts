import { EnvVar } from '@clarion/config';
import { IsIn, Matches } from 'class-validator';

/** Configuration of `npm run migrate` (the schema owner's connection, not the application role's). */
export class MigrateEnv {
  @EnvVar({ type: 'enum: development | test | production', description: 'Deployment environment. `production` refuses development defaults.' })
  @IsIn(['development', 'test', 'production'])
  CLARION_ENV: 'development' | 'test' | 'production' = 'development';

  @EnvVar({
    type: 'postgres:// URL',
    secret: true,
    devDefault: 'postgres://clarion_owner@127.0.0.1:5432/clarion',
    description: 'PostgreSQL connection of the schema owner, used only by `npm run migrate`.',
  })
  @Matches(/^postgres(ql)?:\/\/\S+$/, { message: 'must be a postgres:// URL' })
  DATABASE_MIGRATION_URL!: string;
}
