/** A dependency probe: resolves when the dependency answers, rejects (or times out) when it does not. */
export interface DependencyProbe {
  name: string;
  check(): Promise<void>;
}

export interface DependencyResult {
  name: string;
  status: 'up' | 'down';
  latencyMs: number;
  error?: string;
}

export interface ReadinessReport {
  status: 'ready' | 'not_ready';
  checks: DependencyResult[];
}

function withTimeout<T>(promise: Promise<T>, ms: number, name: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${name} did not answer within ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/** Runs every probe in parallel, each bounded by its own timeout, so one hung dependency cannot hang /readyz. */
export class Readiness {
  private readonly probes: DependencyProbe[] = [];

  constructor(
    private readonly timeoutMs: number,
    private readonly onFailure?: (name: string) => void,
  ) {}

  register(probe: DependencyProbe): void {
    this.probes.push(probe);
  }

  async report(): Promise<ReadinessReport> {
    const checks = await Promise.all(
      this.probes.map(async (probe): Promise<DependencyResult> => {
        const started = performance.now();
        try {
          await withTimeout(probe.check(), this.timeoutMs, probe.name);
          return { name: probe.name, status: 'up', latencyMs: Math.round(performance.now() - started) };
        } catch (err) {
          this.onFailure?.(probe.name);
          return {
            name: probe.name,
            status: 'down',
            latencyMs: Math.round(performance.now() - started),
            error: err instanceof Error ? err.message : String(err),
          };
        }
      }),
    );
    return { status: checks.every((c) => c.status === 'up') ? 'ready' : 'not_ready', checks };
  }
}
