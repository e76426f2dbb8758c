import { BaseServiceEnv } from '@clarion/config';

/** Configuration of the retention service (the data lifecycle (partitions, purging, archival)). */
export class RetentionEnv extends BaseServiceEnv {
  override OPS_PORT = 9404;
}
