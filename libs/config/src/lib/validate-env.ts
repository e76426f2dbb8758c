import { plainToInstance } from 'class-transformer';
import { validateSync, type ValidationError } from 'class-validator';
import { readFileSync } from 'node:fs';
import { ConfigValidationError, type ConfigProblem } from './config-validation.error';
import { describeEnv, type EnvClass } from './env-metadata';
import { notPlaceholder } from './production-rules';

export type RawEnv = Record<string, string | undefined>;
export type ClarionEnvironment = 'development' | 'test' | 'production';

function flatten(errors: ValidationError[], prefix = ''): ConfigProblem[] {
  return errors.flatMap((e) => [
    ...Object.values(e.constraints ?? {}).map((reason) => ({ variable: prefix + e.property, reason })),
    ...flatten(e.children ?? [], `${prefix}${e.property}.`),
  ]);
}

/**
 * Reads, checks and types the environment for one service. Every problem is collected and reported in one
 * ConfigValidationError, so an operator fixes a deployment in one round trip.
 *
 * - `<NAME>_FILE` reads a secret from a file (Docker/Kubernetes secrets); setting both forms is an error.
 * - Development defaults (`devDefault`) apply only when CLARION_ENV is not `production`.
 * - Production rules (no `*` CORS, no empty passwords, ...) apply only in production, and there no secret may be a
 *   published placeholder (PLACEHOLDER_MARKERS).
 */
export function validateEnv<T extends object>(envClass: new () => T, raw: RawEnv = process.env, service = envClass.name): T {
  const descriptors = describeEnv(envClass);
  const problems: ConfigProblem[] = [];
  const environment = (raw['CLARION_ENV'] ?? 'development') as ClarionEnvironment;
  const production = environment === 'production';
  const input: Record<string, string> = {};

  for (const d of descriptors) {
    const direct = raw[d.name];
    const filePath = raw[`${d.name}_FILE`];
    let value = direct === '' ? undefined : direct;
    if (filePath !== undefined && filePath !== '') {
      if (value !== undefined) {
        problems.push({ variable: d.name, reason: `set both ${d.name} and ${d.name}_FILE; use one` });
        continue;
      }
      try {
        value = readFileSync(filePath, 'utf8').replace(/\r?\n$/, '');
      } catch (err) {
        problems.push({ variable: `${d.name}_FILE`, reason: `cannot read ${filePath}: ${(err as NodeJS.ErrnoException).code ?? 'error'}` });
        continue;
      }
    }
    if (value === undefined && d.devDefault !== undefined) {
      if (production) {
        problems.push({ variable: d.name, reason: 'must be set in production (the development default is refused)' });
        continue;
      }
      value = d.devDefault;
    }
    if (value !== undefined) input[d.name] = value;
  }

  const instance = plainToInstance(envClass, input, { exposeDefaultValues: true });
  // A variable already reported (unreadable _FILE, both forms set) is not reported again as "missing".
  const reported = new Set(problems.map((p) => p.variable.replace(/_FILE$/, '')));
  problems.push(
    ...flatten(validateSync(instance, { whitelist: false, forbidUnknownValues: true, stopAtFirstError: true, validationError: { target: false } })).filter(
      (p) => !reported.has(p.variable),
    ),
  );

  if (production) {
    const refused = new Set(problems.map((p) => p.variable.replace(/_FILE$/, '')));
    for (const d of descriptors.filter((x) => !refused.has(x.name))) {
      // A secret given explicitly as its own development default is as public as the default.
      const placeholder = !d.secret
        ? undefined
        : d.devDefault !== undefined && input[d.name] === d.devDefault
          ? 'is the development default (public); give a generated secret'
          : notPlaceholder(input[d.name]);
      if (placeholder) {
        problems.push({ variable: d.name, reason: placeholder });
        continue;
      }
      for (const rule of d.production ?? []) {
        const reason = rule((instance as Record<string, unknown>)[d.name]);
        if (reason) problems.push({ variable: d.name, reason });
      }
    }
  }

  if (problems.length > 0) {
    // One line per variable, in declaration order, so the message reads like the docs.
    const order = new Map(descriptors.map((d, i) => [d.name, i]));
    problems.sort((a, b) => (order.get(a.variable.replace(/_FILE$/, '')) ?? 1e9) - (order.get(b.variable.replace(/_FILE$/, '')) ?? 1e9));
    throw new ConfigValidationError(service, problems);
  }
  return instance;
}

/** Secret variable names of an env class, for log redaction and for printing a config summary. */
export function secretVariables(envClass: EnvClass): string[] {
  return describeEnv(envClass)
    .filter((d) => d.secret)
    .map((d) => d.name);
}
