import { AsyncLocalStorage } from 'node:async_hooks';

/** Per-request facts that logs and queries need without threading them through every call. */
export interface RequestContextState {
  correlationId?: string;
  tenantId?: string;
}

const storage = new AsyncLocalStorage<RequestContextState>();

export const RequestContext = {
  run<T>(state: RequestContextState, fn: () => T): T {
    return storage.run({ ...state }, fn);
  },
  current(): RequestContextState | undefined {
    return storage.getStore();
  },
  /** Sets a field on the current context (for example the tenant once the credential is verified). */
  set<K extends keyof RequestContextState>(key: K, value: RequestContextState[K]): void {
    const store = storage.getStore();
    if (store) store[key] = value;
  },
};
