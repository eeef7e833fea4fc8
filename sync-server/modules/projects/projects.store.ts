import type { DbExecutor } from '../../platform/database/database.js';

export interface ProjectRecord {
  id: number;
  uuid: string;
  organisationId: number;
  name: string;
  hideDisabledFlags: boolean;
  createdAt: string;
}

export interface ProjectPatch {
  name?: string | undefined;
  hideDisabledFlags?: boolean | undefined;
}

/** Port of the projects table. Methods take the executor, so services read and write in their transaction. */
export interface ProjectsStore {
  find(ex: DbExecutor, id: number): Promise<ProjectRecord | undefined>;
  /** Projects of these organisations, by id; optionally only the one with `uuid`. */
  listByOrganisations(ex: DbExecutor, organisationIds: readonly number[], filter: { uuid?: string | undefined }): Promise<ProjectRecord[]>;
  insert(ex: DbExecutor, project: Omit<ProjectRecord, 'id'>): Promise<number>;
  update(ex: DbExecutor, id: number, patch: ProjectPatch): Promise<void>;
  /** Deletes the project; environments, features, segments and grants go with it (FK cascades). */
  delete(ex: DbExecutor, id: number): Promise<void>;
}
