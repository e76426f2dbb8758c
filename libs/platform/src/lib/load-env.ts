import { ConfigValidationError, validateEnv } from '@clarion/config';

/**
 * Validates the environment or ends the process: exit code 1 and one message on stderr naming every bad variable.
 * Nothing else has started yet, so there is nothing to clean up.
 */
export function loadEnvOrExit<E extends object>(envClass: new () => E, service: string): E {
  try {
    return validateEnv(envClass, process.env, service);
  } catch (err) {
    if (err instanceof ConfigValidationError) {
      process.stderr.write(`${JSON.stringify({ level: 'fatal', service, msg: err.message, problems: err.problems })}\n`);
      process.stderr.write(`${err.message}\n`);
      process.exit(1);
    }
    throw err;
  }
}
