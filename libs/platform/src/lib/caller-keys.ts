import type { BaseServiceEnv } from '@clarion/config';
import type { ServiceName } from '@clarion/contracts';
import { CallerSigner, CallerVerifier, callerSigningKeyOf, parseCallerTrust } from '@clarion/messaging';
import type { Logger } from 'pino';

/**
 * The service's caller-assertion keys from its config: the signer of its own requests (RPC_SIGNING_KEY) and the
 * verifier of the requests it serves (RPC_TRUSTED_KEYS). A key that cannot be read stops the process like any bad
 * variable; a service that serves requests without trusted keys starts (and says so), refusing every request.
 */
export function callerKeysOf(env: BaseServiceEnv, service: ServiceName, logger: Logger, servesRequests: boolean): { signer?: CallerSigner; verifier: CallerVerifier } {
  let signer: CallerSigner | undefined;
  let verifier: CallerVerifier;
  try {
    signer = env.RPC_SIGNING_KEY ? new CallerSigner(service, callerSigningKeyOf(env.RPC_SIGNING_KEY)) : undefined;
    verifier = new CallerVerifier(service, env.RPC_TRUSTED_KEYS ? parseCallerTrust(env.RPC_TRUSTED_KEYS) : undefined);
  } catch (err) {
    logger.fatal({ reason: (err as Error).message }, 'invalid caller-assertion keys (RPC_SIGNING_KEY, RPC_TRUSTED_KEYS)');
    process.exit(1);
  }
  if (servesRequests && !env.RPC_TRUSTED_KEYS) {
    logger.warn('RPC_TRUSTED_KEYS is not set: every NATS request to this service will be refused (CALLER_UNVERIFIED)');
  }
  if (service === 'gateway' && !signer) {
    logger.warn('RPC_SIGNING_KEY is not set: the services will refuse every request of this gateway (CALLER_UNVERIFIED)');
  }
  return { signer, verifier };
}
