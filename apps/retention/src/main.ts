import './instrument';
import { runService } from '@clarion/platform';
import { RetentionEnv } from './retention.env';
import { RetentionModule } from './retention.module';

void runService({ service: 'retention', envClass: RetentionEnv, module: RetentionModule, rpc: true });
