import { JetStreamServiceEnv } from '@clarion/config';

/** Configuration of the ingest service (the NetFlow v5/v9/IPFIX collector). */
export class IngestEnv extends JetStreamServiceEnv {
  override OPS_PORT = 9402;
}
