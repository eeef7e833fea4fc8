import type { Db } from '../../platform/database/database.js';
import type { AuthStore, EnvironmentCredentials, UserRecord } from './auth.store.js';

type UserRow = { id: number; uuid: string; email: string; first_name: string; last_name: string; password_hash: string; is_active: boolean | number };

function toUser(r: UserRow | undefined): UserRecord | undefined {
  if (!r) return undefined;
  return { id: r.id, uuid: r.uuid, email: r.email, firstName: r.first_name, lastName: r.last_name, passwordHash: r.password_hash, isActive: Boolean(r.is_active) };
}

const userColumns = ['users.id', 'users.uuid', 'users.email', 'users.first_name', 'users.last_name', 'users.password_hash', 'users.is_active'] as const;

export function createSqlAuthStore(db: Db): AuthStore {
  const k = db.kysely;
  return {
    async findUserByEmail(email) {
      return toUser(await k.selectFrom('users').select(userColumns).where('email', '=', email.toLowerCase()).executeTakeFirst());
    },
    async findUserByTokenHash(keyHash) {
      return toUser(
        await k.selectFrom('auth_tokens').innerJoin('users', 'users.id', 'auth_tokens.user_id').select(userColumns).where('auth_tokens.key_hash', '=', keyHash).executeTakeFirst(),
      );
    },
    async insertToken(userId, keyHash, createdAt) {
      await k.insertInto('auth_tokens').values({ user_id: userId, key_hash: keyHash, created_at: createdAt }).execute();
    },
    async deleteToken(keyHash) {
      await k.deleteFrom('auth_tokens').where('key_hash', '=', keyHash).execute();
    },
    async findApiKeyByHash(keyHash) {
      const r = await k.selectFrom('organisation_api_keys').selectAll().where('key_hash', '=', keyHash).executeTakeFirst();
      return r && { id: r.id, organisationId: r.organisation_id, name: r.name, isAdmin: Boolean(r.is_admin), revoked: Boolean(r.revoked), expiresAt: r.expires_at };
    },
    async findEnvironmentKey(clientKey, serverKeyHash) {
      const env = await k.selectFrom('environments').select(['id', 'api_key']).where('api_key', '=', clientKey).executeTakeFirst();
      if (env) return { environmentId: env.id, environmentApiKey: env.api_key, isServerKey: false, expiresAt: null };
      const key = await k
        .selectFrom('environment_api_keys')
        .innerJoin('environments', 'environments.id', 'environment_api_keys.environment_id')
        .select(['environments.id', 'environments.api_key', 'environment_api_keys.expires_at'])
        .where('environment_api_keys.key_hash', '=', serverKeyHash)
        .where('environment_api_keys.active', '=', true)
        .executeTakeFirst();
      return key && { environmentId: key.id, environmentApiKey: key.api_key, isServerKey: true, expiresAt: key.expires_at };
    },
    async readEnvironmentCredentials(environmentId) {
      // One row per active server-side key (or one row of nulls): a single indexed read.
      const rows = await k
        .selectFrom('environments as e')
        .leftJoin('environment_api_keys as k', (join) => join.onRef('k.environment_id', '=', 'e.id').on('k.active', '=', true))
        .select(['e.api_key', 'k.key_hash', 'k.expires_at'])
        .where('e.id', '=', environmentId)
        .execute();
      if (rows.length === 0) return undefined;
      const credentials: EnvironmentCredentials = { clientKey: rows[0]!.api_key, serverKeys: new Map() };
      for (const r of rows) if (r.key_hash !== null) credentials.serverKeys.set(r.key_hash, r.expires_at);
      return credentials;
    },
    async countUsers() {
      const r = await k.selectFrom('users').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
      return Number(r.n);
    },
  };
}
