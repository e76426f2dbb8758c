import { ZxcvbnFactory } from '@zxcvbn-ts/core';
import { adjacencyGraphs, dictionary } from '@zxcvbn-ts/language-common';
import { DomainException, ErrorCode } from '@clarion/contracts';

export const PASSWORD_MIN_LENGTH = 12;
export const PASSWORD_MAX_LENGTH = 256;
/** zxcvbn score 0-4; 3 = "safely unguessable: moderate protection from offline slow-hash scenario". */
export const PASSWORD_MIN_SCORE = 3;

let estimator: ZxcvbnFactory | undefined;

/**
 * NIST SP 800-63B: length 12..256 (Unicode code points), no composition rules, and refusal of passwords a strength
 * estimator with a common-password dictionary rates weak, the user's own name and email counting as known words.
 */
export function assertAcceptablePassword(password: string, userInputs: string[]): void {
  const length = [...password].length;
  if (length < PASSWORD_MIN_LENGTH || length > PASSWORD_MAX_LENGTH) {
    throw new DomainException(ErrorCode.ValidationFailed, `the password must be ${PASSWORD_MIN_LENGTH} to ${PASSWORD_MAX_LENGTH} characters long`, [
      { field: 'password', message: `must be ${PASSWORD_MIN_LENGTH} to ${PASSWORD_MAX_LENGTH} characters long` },
    ]);
  }
  estimator ??= new ZxcvbnFactory({ dictionary: { ...dictionary }, graphs: adjacencyGraphs });
  const words = userInputs.flatMap((s) => s.toLowerCase().split(/[^\p{L}\p{N}]+/u)).filter((w) => w.length >= 3);
  // Context-specific words (NIST 800-63B 5.1.1.2): what is left after removing the user's own name and email parts
  // must still be a password, not a separator or two digits.
  let remainder = password.toLowerCase();
  for (const word of [...words].sort((x, y) => y.length - x.length)) remainder = remainder.split(word).join('');
  if (remainder.replace(/[^\p{L}\p{N}]/gu, '').length < 6) {
    throw new DomainException(ErrorCode.ValidationFailed, 'the password is built from your own name or email', [
      { field: 'password', message: 'must not be built from your name or email address' },
    ]);
  }
  const result = estimator.check(password, [...userInputs.map((s) => s.toLowerCase()), ...words]);
  if (result.score < PASSWORD_MIN_SCORE) {
    const hint = result.feedback.warning || result.feedback.suggestions[0] || 'choose a longer, less predictable passphrase';
    throw new DomainException(ErrorCode.ValidationFailed, 'the password is too easy to guess', [{ field: 'password', message: String(hint) }]);
  }
}
