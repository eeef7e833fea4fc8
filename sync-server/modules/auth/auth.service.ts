import { AppError } from '../../../src-shared/errors/app-error.js';
import { ErrorCode } from '../../../src-shared/errors/error-codes.js';
import type { Clock } from '../../platform/clock/clock.js';
import { generateToken, hashPassword, hashToken, verifyPassword } from '../../platform/security/secrets.js';
import type { Principal } from '../access/principal.js';
import type { AuthStore, EnvironmentCredentials, UserRecord } from './auth.store.js';
import type { SdkCaller } from '../../app/http/http-app.js';

/** Sign-in and credential resolution. Secrets are hashed before they reach the store. */
export interface AuthService {
  /** Checks a password and issues a new session token (`{key}`), as Flagsmith's login does. */
  login(email: string, password: string): Promise<{ key: string }>;
  logout(token: string): Promise<void>;
  /** Resolves an `Authorization` header value to a principal; undefined when it matches nothing. */
  resolveAuthorization(header: string): Promise<Principal | undefined>;
  /**
   * Resolves an `X-Environment-Key` header. What a key names is kept in memory (a hash and a lookup on
   * every SDK poll cost more than the rest of the auth), but every call still checks it against the
   * database: with one query per environment shared by the calls that arrive in the same turn of the
   * event loop and issued after they all arrived, so a key deleted or deactivated, or an environment
   * deleted, by this or any other server instance is refused by the first request that arrives after
   * the change committed.
   */
  resolveEnvironmentKey(key: string): Promise<SdkCaller | undefined>;
  /**
   * What an `X-Environment-Key` named when last looked up, without checking it again (the database is
   * read only for a key not seen before). Only for callers that check the key themselves on every
   * request: the SDK module does, against the keys it reads with the document revision.
   */
  recallEnvironmentKey(key: string): Promise<SdkCaller | undefined>;
  /** Drops what was remembered about a key (after it was refused), so the next request looks it up afresh. */
  forgetEnvironmentKey(key: string): void;
  findUserByToken(token: string): Promise<UserRecord | undefined>;
  hashPassword(password: string): Promise<string>;
}

const INVALID_LOGIN = 'Unable to log in with provided credentials.';

/** Keys remembered at most (a bound on memory, should clients send many distinct keys); the oldest go first. */
const MAX_CACHED_ENVIRONMENT_KEYS = 10_000;

/** What a key named when it was last found: the environment, and how to recognise the key among its credentials. */
interface CachedEnvironmentKey {
  caller: SdkCaller;
  /** SHA-256 of a server-side key (null for the client-side key, which is stored as is). */
  serverKeyHash: string | null;
}

export function createAuthService(store: AuthStore, clock: Clock): AuthService {
  // A dummy hash to verify against when the email is unknown, so both paths take the same time.
  const dummyHash = hashPassword('not-a-real-password');

  const environmentKeys = new Map<string, CachedEnvironmentKey>();
  const queuedCredentials = new Map<number, Promise<EnvironmentCredentials | undefined>>();
  /**
   * The environment's current credentials, read once for all the calls of one event-loop turn: the query
   * runs after they all arrived, so each sees every write committed before it came in.
   */
  function currentCredentials(environmentId: number): Promise<EnvironmentCredentials | undefined> {
    let queued = queuedCredentials.get(environmentId);
    if (!queued) {
      queued = new Promise<void>((resolve) => setImmediate(resolve)).then(() => {
        queuedCredentials.delete(environmentId);
        return store.readEnvironmentCredentials(environmentId);
      });
      queuedCredentials.set(environmentId, queued);
    }
    return queued;
  }

  function isExpired(expiresAt: string | null): boolean {
    return expiresAt !== null && expiresAt <= clock.now().toISOString();
  }

  function isStillValid(key: string, cached: CachedEnvironmentKey, credentials: EnvironmentCredentials | undefined): boolean {
    if (!credentials) return false;
    if (cached.serverKeyHash === null) return credentials.clientKey === key;
    const expiresAt = credentials.serverKeys.get(cached.serverKeyHash);
    return expiresAt !== undefined && !isExpired(expiresAt);
  }

  async function lookUpEnvironmentKey(key: string): Promise<CachedEnvironmentKey | undefined> {
    const serverKeyHash = hashToken(key);
    const found = await store.findEnvironmentKey(key, serverKeyHash);
    if (!found || isExpired(found.expiresAt)) return undefined;
    const entry: CachedEnvironmentKey = {
      caller: { environmentId: found.environmentId, environmentApiKey: found.environmentApiKey, isServerKey: found.isServerKey },
      serverKeyHash: found.isServerKey ? serverKeyHash : null,
    };
    if (environmentKeys.size >= MAX_CACHED_ENVIRONMENT_KEYS) environmentKeys.delete(environmentKeys.keys().next().value!);
    environmentKeys.set(key, entry);
    return entry;
  }

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
      const cached = environmentKeys.get(key);
      if (!cached) return (await lookUpEnvironmentKey(key))?.caller;
      if (isStillValid(key, cached, await currentCredentials(cached.caller.environmentId))) return { ...cached.caller };
      environmentKeys.delete(key);
      return undefined;
    },
    async recallEnvironmentKey(key) {
      const cached = environmentKeys.get(key) ?? (await lookUpEnvironmentKey(key));
      return cached && { ...cached.caller };
    },
    forgetEnvironmentKey(key) {
      environmentKeys.delete(key);
    },
    async findUserByToken(token) {
      return store.findUserByTokenHash(hashToken(token));
    },
    hashPassword,
  };
}
