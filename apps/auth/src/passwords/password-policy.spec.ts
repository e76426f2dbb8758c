import { ErrorCode } from '@clarion/contracts';
import { assertAcceptablePassword } from './password-policy';

const refusal = (password: string, inputs: string[] = []) => {
  try {
    assertAcceptablePassword(password, inputs);
    return undefined;
  } catch (err) {
    return err as { code: string; details?: Array<{ message: string }> };
  }
};

describe('password policy (NIST SP 800-63B)', () => {
  it('accepts a long passphrase with no composition rules at all', () => {
    expect(refusal('correct horse battery staple violet')).toBeUndefined();
  });

  it('refuses fewer than 12 characters and more than 256', () => {
    expect(refusal('Xk9#vL2$qP!')?.code).toBe(ErrorCode.ValidationFailed);
    expect(refusal('a'.repeat(257))?.code).toBe(ErrorCode.ValidationFailed);
  });

  it('counts characters, not bytes (12 emoji are 12 characters)', () => {
    expect(refusal('🦊🐙🦉🐝🦋🐞🦀🐬🦜🐢🦎🦩')?.details?.[0]?.message ?? '').not.toMatch(/characters long/);
  });

  it('refuses common passwords from the dictionary', () => {
    for (const pw of ['password1234', 'qwertyuiop123', 'iloveyou1234']) expect(refusal(pw)?.code).toBe(ErrorCode.ValidationFailed);
  });

  it("refuses a password built from the user's own name and email", () => {
    expect(refusal('adalovelace2024', ['ada.lovelace@example.org', 'Ada Lovelace'])?.code).toBe(ErrorCode.ValidationFailed);
  });
});
