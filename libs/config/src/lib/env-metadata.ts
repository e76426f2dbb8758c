/**
 * A small registry of what each environment variable means, kept next to its validator so that
 * docs/CONFIGURATION.md can be generated from (and tested against) the env classes themselves.
 */
/** Any class; env classes are plain classes with decorated properties. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type EnvClass = abstract new (...args: any[]) => object;

export type ProductionRule = (value: unknown) => string | undefined;

export interface EnvVarOptions {
  /** One sentence for operators: what it controls and when to change it. */
  description: string;
  /** Type shown in the docs (`string`, `integer`, `url`, `enum: a | b`, ...). */
  type: string;
  /** A secret: never logged; may be given as `<NAME>_FILE` (Docker/Kubernetes secrets). */
  secret?: boolean;
  /**
   * A value used only outside production (a local URL, a generated key). In production the variable must be set
   * explicitly; the boot check refuses the development default.
   */
  devDefault?: string;
  /** Extra checks applied only when CLARION_ENV=production (for example: no `*` CORS, no empty password). */
  production?: ProductionRule[];
}

export interface EnvVarDescriptor extends EnvVarOptions {
  name: string;
}

const registry = new Map<object, Map<string, EnvVarDescriptor>>();

export function EnvVar(options: EnvVarOptions): PropertyDecorator {
  return (target, propertyKey) => {
    const ctor = target.constructor;
    let own = registry.get(ctor);
    if (!own) {
      own = new Map();
      registry.set(ctor, own);
    }
    const name = String(propertyKey);
    own.set(name, { ...options, name });
  };
}

/** Every variable an env class reads, its base classes' included, in declaration order (base first). */
export function describeEnv(envClass: EnvClass): EnvVarDescriptor[] {
  const chain: object[] = [];
  for (let c: object | null = envClass; c && c !== Object && c !== Function.prototype; c = Object.getPrototypeOf(c) as object | null) {
    chain.unshift(c);
  }
  const merged = new Map<string, EnvVarDescriptor>();
  for (const c of chain) {
    for (const [name, d] of registry.get(c) ?? []) merged.set(name, d);
  }
  return [...merged.values()];
}
