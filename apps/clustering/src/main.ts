import './instrument';
import { runService } from '@clarion/platform';
import { ClusteringEnv } from './clustering.env';
import { ClusteringModule } from './clustering.module';

void runService({ service: 'clustering', envClass: ClusteringEnv, module: ClusteringModule, rpc: true });
