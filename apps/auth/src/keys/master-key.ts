import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';

const VERSION = 1;

/**
 * Envelope encryption of signing keys at rest: AES-256-GCM under a key derived from AUTH_MASTER_KEY.
 * Layout: version (1 byte) | iv (12) | tag (16) | ciphertext. The key id is bound as associated data, so a stored
 * private key cannot be swapped onto another key id.
 */
export class MasterKey {
  private readonly key: Buffer;

  constructor(secret: string) {
    // A deliberate KDF would add nothing for a high-entropy secret; a passphrase-like value is the operator's risk.
    this.key = createHash('sha256').update('clarion-master-key-v1\0').update(secret, 'utf8').digest();
  }

  encrypt(plaintext: Buffer, associatedData: string): Buffer {
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', this.key, iv);
    cipher.setAAD(Buffer.from(associatedData, 'utf8'));
    const ciphertext = Buffer.concat([cipher.update(plaintext), cipher.final()]);
    return Buffer.concat([Buffer.from([VERSION]), iv, cipher.getAuthTag(), ciphertext]);
  }

  decrypt(sealed: Buffer, associatedData: string): Buffer {
    if (sealed.length < 29 || sealed[0] !== VERSION) throw new Error('sealed key has an unknown format');
    const decipher = createDecipheriv('aes-256-gcm', this.key, sealed.subarray(1, 13));
    decipher.setAAD(Buffer.from(associatedData, 'utf8'));
    decipher.setAuthTag(sealed.subarray(13, 29));
    return Buffer.concat([decipher.update(sealed.subarray(29)), decipher.final()]);
  }
}
