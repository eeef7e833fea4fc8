import type { SecretCipher } from './credential-store.js';

/**
 * A stand-in for Electron's safeStorage in tests: a reversible scramble (never the plain text) under a
 * key, so a store opened with another key cannot read the secrets, as with a reset OS keychain.
 */
export function createFakeSecretCipher(options: { isAvailable?: boolean; key?: string } = {}): SecretCipher & { setAvailable(isAvailable: boolean): void } {
  let isAvailable = options.isAvailable ?? true;
  const key = options.key ?? 'fake-os-key';
  const marker = `fake-safe-storage:${key}:`;
  return {
    isEncryptionAvailable: () => isAvailable,
    encryptString: (plainText) => {
      if (!isAvailable) throw new Error('Encryption is not available.');
      return Buffer.from(marker + Buffer.from(plainText, 'utf8').toString('base64').split('').reverse().join(''), 'utf8');
    },
    decryptString: (encrypted) => {
      const text = encrypted.toString('utf8');
      if (!text.startsWith(marker)) throw new Error('Error while decrypting the ciphertext provided to safeStorage.decryptString.');
      return Buffer.from(text.slice(marker.length).split('').reverse().join(''), 'base64').toString('utf8');
    },
    setAvailable: (value) => {
      isAvailable = value;
    },
  };
}
