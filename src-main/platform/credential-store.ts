import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { AppError } from '../../src-shared/errors/app-error.js';
import { ErrorCode } from '../../src-shared/errors/error-codes.js';

/** The slice of Electron's `safeStorage` the store needs; tests pass a fake. */
export interface SecretCipher {
  /** False when the OS offers no real keychain: the store then refuses to keep secrets on disk. */
  isEncryptionAvailable(): boolean;
  encryptString(plainText: string): Buffer;
  decryptString(encrypted: Buffer): string;
}

/** Session tokens of the sync servers the user signed in to, one per server origin, encrypted at rest. */
export interface CredentialStore {
  isEncryptionAvailable(): boolean;
  /** The token kept for `server`, or null (none kept, or it can no longer be decrypted). */
  load(server: string): Promise<string | null>;
  /** Keeps `token` for `server`. Fails with PRECONDITION_FAILED (reason ENCRYPTION_UNAVAILABLE) rather than write it in clear. */
  save(server: string, token: string): Promise<void>;
  clear(server: string): Promise<void>;
}

interface CredentialFile {
  version: 1;
  /** Server origin → base64 of the ciphertext. */
  entries: Record<string, string>;
}

/** A CredentialStore in one JSON file (under Electron's userData), its values encrypted by `cipher`. */
export function createFileCredentialStore(deps: { cipher: SecretCipher; filePath: string }): CredentialStore {
  const { cipher, filePath } = deps;
  // Calls are serialised so a save racing a clear cannot lose either write.
  let queue: Promise<unknown> = Promise.resolve();
  const serialise = <T>(work: () => Promise<T>): Promise<T> => {
    const next = queue.then(work, work);
    queue = next.catch(() => undefined);
    return next;
  };

  async function read(): Promise<CredentialFile> {
    let text: string;
    try {
      text = await readFile(filePath, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { version: 1, entries: {} };
      throw error;
    }
    try {
      const parsed = JSON.parse(text) as Partial<CredentialFile>;
      return { version: 1, entries: parsed.entries && typeof parsed.entries === 'object' ? { ...parsed.entries } : {} };
    } catch {
      // A damaged file only costs the user a new sign-in.
      return { version: 1, entries: {} };
    }
  }

  async function write(file: CredentialFile): Promise<void> {
    await mkdir(dirname(filePath), { recursive: true });
    const temp = `${filePath}.${process.pid}.tmp`;
    await writeFile(temp, JSON.stringify(file), { mode: 0o600 });
    await rename(temp, filePath);
  }

  return {
    isEncryptionAvailable: () => cipher.isEncryptionAvailable(),
    load: (server) =>
      serialise(async () => {
        const stored = (await read()).entries[server];
        if (stored === undefined || !cipher.isEncryptionAvailable()) return null;
        try {
          return cipher.decryptString(Buffer.from(stored, 'base64'));
        } catch {
          // Encrypted under another OS key (profile copied, keychain reset): treat as signed out.
          return null;
        }
      }),
    save: (server, token) =>
      serialise(async () => {
        if (!cipher.isEncryptionAvailable()) {
          throw new AppError(ErrorCode.PRECONDITION_FAILED, 'The operating system offers no secure storage; the session is kept in memory only.', {
            details: { reason: 'ENCRYPTION_UNAVAILABLE' },
          });
        }
        const file = await read();
        file.entries[server] = cipher.encryptString(token).toString('base64');
        await write(file);
      }),
    clear: (server) =>
      serialise(async () => {
        const file = await read();
        if (!(server in file.entries)) return;
        delete file.entries[server];
        await write(file);
      }),
  };
}
