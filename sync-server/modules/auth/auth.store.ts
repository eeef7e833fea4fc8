/** A user row as the auth module needs it. */
export interface UserRecord {
  id: number;
  uuid: string;
  email: string;
  firstName: string;
  lastName: string;
  passwordHash: string;
  isActive: boolean;
}

export interface ApiKeyRecord {
  id: number;
  organisationId: number;
  name: string;
  isAdmin: boolean;
  revoked: boolean;
  expiresAt: string | null;
}

export interface EnvironmentKeyRecord {
  environmentId: number;
  environmentApiKey: string;
  isServerKey: boolean;
  expiresAt: string | null;
}

/** The credentials an environment accepts right now: its client-side key and its active server-side keys. */
export interface EnvironmentCredentials {
  clientKey: string;
  /** `key_hash` → `expires_at` of each active server-side key. */
  serverKeys: Map<string, string | null>;
}

/** Port of the credential tables. Secrets arrive here already hashed. */
export interface AuthStore {
  findUserByEmail(email: string): Promise<UserRecord | undefined>;
  findUserByTokenHash(keyHash: string): Promise<UserRecord | undefined>;
  insertToken(userId: number, keyHash: string, createdAt: string): Promise<void>;
  deleteToken(keyHash: string): Promise<void>;
  findApiKeyByHash(keyHash: string): Promise<ApiKeyRecord | undefined>;
  /** Client-side key (the environment's api_key) or an active server-side key's hash. */
  findEnvironmentKey(clientKey: string, serverKeyHash: string): Promise<EnvironmentKeyRecord | undefined>;
  /** One query: the environment's client-side key and active server-side keys; undefined when the environment is gone. */
  readEnvironmentCredentials(environmentId: number): Promise<EnvironmentCredentials | undefined>;
  countUsers(): Promise<number>;
}
