/**
 * `node dist/tools/simulator/main.js [options]` (or `npm run simulator -- [options]`): the synthetic enterprise
 * exporting NetFlow v9 / IPFIX over UDP. `--help` lists the options. Logs go to stdout (text or JSON lines); exits 0
 * when a bound is reached or on SIGINT/SIGTERM, 2 on bad options, 1 on a failure.
 */
import { describeRoles } from './role-archetypes';
import { SimulatorRunner, type LogFields } from './simulator-runner';
import { HELP, OptionsError, parseSimulatorArgs } from './simulator-options';

// A closed stdout (`... | head`) must not crash the run: lose the logs, keep exporting.
process.stdout.on('error', () => undefined);

function logger(format: 'text' | 'json'): (message: string, fields?: LogFields) => void {
  return (message, fields = {}) => {
    const time = new Date().toISOString();
    if (format === 'json') {
      process.stdout.write(`${JSON.stringify({ time, msg: message, ...fields })}\n`);
      return;
    }
    const parts = Object.entries(fields)
      .filter(([, value]) => value !== null && value !== undefined)
      .map(([key, value]) => `${key}=${typeof value === 'object' ? JSON.stringify(value) : String(value)}`);
    process.stdout.write(`${time} ${message}${parts.length ? ' ' + parts.join(' ') : ''}\n`);
  };
}

async function main(): Promise<number> {
  let parsed;
  try {
    parsed = parseSimulatorArgs(process.argv.slice(2), Date.now());
  } catch (err) {
    if (!(err instanceof OptionsError)) throw err;
    for (const problem of err.problems) process.stderr.write(`simulator: ${problem}\n`);
    process.stderr.write('run with --help for the options\n');
    return 2;
  }
  if (parsed.command === 'help') {
    process.stdout.write(HELP);
    return 0;
  }
  if (parsed.command === 'roles') {
    process.stdout.write(`${describeRoles()}\n`);
    return 0;
  }
  const runner = new SimulatorRunner(parsed.options, logger(parsed.options.log));
  for (const signal of ['SIGINT', 'SIGTERM'] as const) process.on(signal, () => runner.stop());
  await runner.run();
  return 0;
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    // System errors (an unknown host, an address that cannot be bound) are the operator's to fix: the message says
    // what; anything else is a bug and gets its stack.
    const system = err instanceof Error && typeof (err as NodeJS.ErrnoException).code === 'string';
    process.stderr.write(`simulator: ${err instanceof Error ? (system ? err.message : (err.stack ?? err.message)) : String(err)}\n`);
    process.exitCode = 1;
  },
);
