import type { DbExecutor } from '../../platform/database/database.js';

/** Where a grant applies: a project (`user_project_permissions`) or an environment (`user_environment_permissions`). */
export type GrantTarget = { projectId: number } | { environmentId: number };

export interface GrantRecord {
  id: number;
  userId: number;
  admin: boolean;
  permissions: string[];
  user: { id: number; email: string; firstName: string; lastName: string };
}

export interface GrantPatch {
  admin?: boolean | undefined;
  permissions?: readonly string[] | undefined;
}

/** Port of the per-user permission tables. At most one grant per (target, user). */
export interface PermissionsStore {
  list(ex: DbExecutor, target: GrantTarget): Promise<GrantRecord[]>;
  find(ex: DbExecutor, target: GrantTarget, id: number): Promise<GrantRecord | undefined>;
  findByUser(ex: DbExecutor, target: GrantTarget, userId: number): Promise<GrantRecord | undefined>;
  insert(ex: DbExecutor, target: GrantTarget, grant: { userId: number; admin: boolean; permissions: readonly string[] }): Promise<number>;
  update(ex: DbExecutor, target: GrantTarget, id: number, patch: GrantPatch): Promise<void>;
  delete(ex: DbExecutor, target: GrantTarget, id: number): Promise<void>;
}
