import { AppError } from '../../../src-shared/errors/app-error.js';
import { ErrorCode } from '../../../src-shared/errors/error-codes.js';
import type { Clock } from '../../platform/clock/clock.js';
import { generateToken, hashPassword, hashToken, verifyPassword } from '../../platform/security/secrets.js';
import type { Principal } from '../access/principal.js';
import type { AuthStore, UserRecord } from './auth.store.js';
import type { SdkCaller } from '../../app/http/http-app.js';

/** Sign-in and credential resolution. Secrets are hashed before they reach the store. */
export interface AuthService {
  /** Checks a password and issues a new session token (`{key}`), as Flagsmith's login does. */
  login(email: string, password: string): Promise<{ key: string }>;
  logout(token: string): Promise<void>;
  /** Resolves an `Authorization` header value to a principal; undefined when it matches nothing. */
  resolveAuthorization(header: string): Promise<Principal | undefined>;
  /** Resolves an `X-Environment-Key` header. */
  resolveEnvironmentKey(key: string): Promise<SdkCaller | undefined>;
  findUserByToken(token: string): Promise<UserRecord | undefined>;
  hashPassword(password: string): Promise<string>;
}

const INVALID_LOGIN = 'Unable to log in with provided credentials.';

export function createAuthService(store: AuthStore, clock: Clock): AuthService {
  // A dummy hash to verify against when the email is unknown, so both paths take the same time.
  const dummyHash = hashPassword('not-a-real-password');
  return {
    async login(email, password) {
      const user = await store.findUserByEmail(email);
      const ok = await verifyPassword(password, user?.passwordHash ?? (await dummyHash));
      if (!user || !ok || !user.isActive) throw new AppError(ErrorCode.VALIDATION_FAILED, INVALID_LOGIN, { details: { issues: [{ path: 'body/non_field_errors', message: INVALID_LOGIN }] } });
      const key = generateToken();
      await store.insertToken(user.id, hashToken(key), clock.now().toISOString());
      return { key };
    },
    async logout(token) {
      await store.deleteToken(hashToken(token));
    },
    async resolveAuthorization(header) {
      const [scheme, value] = header.trim().split(/\s+/, 2);
      if (!scheme || !value) return undefined;
      if (scheme.toLowerCase() === 'token' || scheme.toLowerCase() === 'bearer') {
        const user = await store.findUserByTokenHash(hashToken(value));
        return user?.isActive ? { kind: 'user', userId: user.id, email: user.email } : undefined;
      }
      if (scheme.toLowerCase() === 'api-key') {
        const key = await store.findApiKeyByHash(hashToken(value));
        if (!key || key.revoked || (key.expiresAt && key.expiresAt <= clock.now().toISOString())) return undefined;
        return { kind: 'api_key', apiKeyId: key.id, organisationId: key.organisationId, isAdmin: key.isAdmin, name: key.name };
      }
      return undefined;
    },
    async resolveEnvironmentKey(key) {
      const found = await store.findEnvironmentKey(key, hashToken(key));
      if (!found || (found.expiresAt && found.expiresAt <= clock.now().toISOString())) return undefined;
      return { environmentId: found.environmentId, environmentApiKey: found.environmentApiKey, isServerKey: found.isServerKey };
    },
    async findUserByToken(token) {
      return store.findUserByTokenHash(hashToken(token));
    },
    hashPassword,
  };
}
