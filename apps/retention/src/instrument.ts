// First import of main.ts: starts OpenTelemetry before anything it instruments is loaded.
import { startTracing } from '@clarion/observability/tracing';

startTracing('retention');
