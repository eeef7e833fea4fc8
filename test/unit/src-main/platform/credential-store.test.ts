import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import { createFileCredentialStore } from '../../../../src-main/platform/credential-store.js';
import { createFakeSecretCipher } from '../../../../src-main/platform/secret-cipher.fake.js';
import { AppError } from '../../../../src-shared/errors/app-error.js';

const SERVER = 'http://127.0.0.1:8000';
const TOKEN = 'tok-0123456789abcdef';

describe('file credential store', () => {
  let dir: string;
  let filePath: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'flagdesk-credentials-'));
    filePath = join(dir, 'nested', 'credentials.json');
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  test('keeps a token per server across store instances, never in clear on disk', async () => {
    const cipher = createFakeSecretCipher();
    await createFileCredentialStore({ cipher, filePath }).save(SERVER, TOKEN);
    await createFileCredentialStore({ cipher, filePath }).save('https://flags.example', 'other');

    const reopened = createFileCredentialStore({ cipher, filePath });
    expect([await reopened.load(SERVER), await reopened.load('https://flags.example'), await reopened.load('http://elsewhere:1')]).toEqual([TOKEN, 'other', null]);
    expect(readFileSync(filePath, 'utf8')).not.toContain(TOKEN);
  });

  test('writes the file readable by the user only', async () => {
    await createFileCredentialStore({ cipher: createFakeSecretCipher(), filePath }).save(SERVER, TOKEN);
    expect(statSync(filePath).mode & 0o777).toBe(0o600);
  });

  test('clear forgets one server and keeps the others', async () => {
    const store = createFileCredentialStore({ cipher: createFakeSecretCipher(), filePath });
    await store.save(SERVER, TOKEN);
    await store.save('https://flags.example', 'other');
    await store.clear(SERVER);
    await store.clear('http://never-saved:1');
    expect([await store.load(SERVER), await store.load('https://flags.example')]).toEqual([null, 'other']);
  });

  test('refuses to save without OS encryption rather than writing the token in clear', async () => {
    const store = createFileCredentialStore({ cipher: createFakeSecretCipher({ isAvailable: false }), filePath });
    const failure = await store.save(SERVER, TOKEN).catch((e: unknown) => e);
    expect(failure).toBeInstanceOf(AppError);
    expect((failure as AppError).toWire()).toMatchObject({ code: 'PRECONDITION_FAILED', details: { reason: 'ENCRYPTION_UNAVAILABLE' } });
    expect(() => statSync(filePath)).toThrow();
    expect(store.isEncryptionAvailable()).toBe(false);
  });

  test('treats a token encrypted under another OS key as signed out', async () => {
    await createFileCredentialStore({ cipher: createFakeSecretCipher({ key: 'old-keychain' }), filePath }).save(SERVER, TOKEN);
    expect(await createFileCredentialStore({ cipher: createFakeSecretCipher({ key: 'new-keychain' }), filePath }).load(SERVER)).toBeNull();
  });

  test('treats a damaged file as empty and can save over it', async () => {
    const store = createFileCredentialStore({ cipher: createFakeSecretCipher(), filePath: join(dir, 'credentials.json') });
    writeFileSync(join(dir, 'credentials.json'), '{not json');
    expect(await store.load(SERVER)).toBeNull();
    await store.save(SERVER, TOKEN);
    expect(await store.load(SERVER)).toBe(TOKEN);
  });

  test('concurrent saves for different servers both survive', async () => {
    const store = createFileCredentialStore({ cipher: createFakeSecretCipher(), filePath });
    await Promise.all([store.save('http://a:1', 'ta'), store.save('http://b:2', 'tb'), store.save('http://c:3', 'tc')]);
    expect(await Promise.all(['http://a:1', 'http://b:2', 'http://c:3'].map((s) => store.load(s)))).toEqual(['ta', 'tb', 'tc']);
  });
});
