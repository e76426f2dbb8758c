import { BaseServiceEnv, DatabaseRole, EnvVar, ToInt } from '@clarion/config';
import { IsInt, IsOptional, IsString, Max, Min } from 'class-validator';

/** Configuration of the retention service (the data lifecycle: flows expired past their retention). */
@DatabaseRole('clarion_retention')
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
    type: 'integer (seconds)',
    description:
      "Longest statement of a retention run: a tenant's day copied to the archive, the default partition's old rows deleted (DATABASE_STATEMENT_TIMEOUT_MS, meant for API reads, would cut a large day's copy short).",
  })
  @ToInt()
  @IsInt()
  @Min(1)
  RETENTION_STATEMENT_TIMEOUT_S = 21_600;

  @EnvVar({
    type: 'integer (ms)',
    description:
      'How long a retention run waits for the lock that detaching a day partition needs (readers of flows hold it off); past it the run fails and the next one retries, instead of queueing every reader of flows behind it.',
  })
  @ToInt()
  @IsInt()
  @Min(1)
  RETENTION_LOCK_TIMEOUT_MS = 5_000;

  @EnvVar({
    type: 'directory path',
    description:
      'Where flows are archived before retention removes them (one gzip CSV per tenant and day, flows/<day>/<tenant>.csv.gz; a mounted volume or bucket). Unset: flows past the retention are removed without a copy.',
  })
  @IsOptional()
  @IsString()
  RETENTION_ARCHIVE_DIR?: string;
}
