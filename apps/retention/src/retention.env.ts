import { EnvVar, BaseServiceEnv, ToInt } from '@clarion/config';
import { IsInt, IsOptional, IsString, Max, Min } from 'class-validator';

/** Configuration of the retention service (the data lifecycle: flows expired past their retention). */
export class RetentionEnv extends BaseServiceEnv {
  override OPS_PORT = 9404;

  @EnvVar({
    type: 'integer (days, 1-3650)',
    description:
      'Whole UTC days of flows kept before today (today is always kept); older flows are removed, a day partition at a time. Profiles, clusters and policy learned from them stay.',
  })
  @ToInt()
  @IsInt()
  @Min(1)
  @Max(3650)
  FLOW_RETENTION_DAYS = 30;

  @EnvVar({ type: 'integer (seconds)', description: 'How often flow retention runs.' })
  @ToInt()
  @IsInt()
  @Min(60)
  RETENTION_INTERVAL_S = 3600;

  @EnvVar({ type: 'integer (seconds)', description: 'Delay between the start of the service and its first retention run.' })
  @ToInt()
  @IsInt()
  @Min(0)
  RETENTION_FIRST_RUN_DELAY_S = 10;

  @EnvVar({
    type: 'directory path',
    description:
      'Where flows are archived before retention removes them (one gzip CSV per tenant and day, flows/<day>/<tenant>.csv.gz; a mounted volume or bucket). Unset: flows past the retention are removed without a copy.',
  })
  @IsOptional()
  @IsString()
  RETENTION_ARCHIVE_DIR?: string;
}
