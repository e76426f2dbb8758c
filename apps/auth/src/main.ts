import './instrument';
import { runService } from '@clarion/platform';
import { AuthEnv } from './auth.env';
import { AuthModule } from './auth.module';

void runService({ service: 'auth', envClass: AuthEnv, module: AuthModule, rpc: true });
