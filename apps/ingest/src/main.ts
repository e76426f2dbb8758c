import './instrument';
import { runService } from '@clarion/platform';
import { IngestEnv } from './ingest.env';
import { IngestModule } from './ingest.module';

void runService({ service: 'ingest', envClass: IngestEnv, module: IngestModule, rpc: true });
