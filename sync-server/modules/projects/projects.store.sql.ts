import type { Selectable } from 'kysely';
import type { ProjectsTable } from '../../platform/database/database.schema.js';
import type { ProjectRecord, ProjectsStore } from './projects.store.js';

function toProject(r: Selectable<ProjectsTable>): ProjectRecord {
  return { id: r.id, uuid: r.uuid, organisationId: r.organisation_id, name: r.name, hideDisabledFlags: Boolean(r.hide_disabled_flags), createdAt: r.created_at };
}

export function createSqlProjectsStore(): ProjectsStore {
  return {
    async find(ex, id) {
      const r = await ex.selectFrom('projects').selectAll().where('id', '=', id).executeTakeFirst();
      return r && toProject(r);
    },
    async listByOrganisations(ex, organisationIds, filter) {
      if (organisationIds.length === 0) return [];
      let q = ex.selectFrom('projects').selectAll().where('organisation_id', 'in', [...organisationIds]);
      if (filter.uuid !== undefined) q = q.where('uuid', '=', filter.uuid);
      return (await q.orderBy('id').execute()).map(toProject);
    },
    async insert(ex, p) {
      const r = await ex
        .insertInto('projects')
        .values({ uuid: p.uuid, organisation_id: p.organisationId, name: p.name, hide_disabled_flags: p.hideDisabledFlags, created_at: p.createdAt })
        .returning('id')
        .executeTakeFirstOrThrow();
      return r.id;
    },
    async update(ex, id, patch) {
      const set = {
        ...(patch.name !== undefined ? { name: patch.name } : {}),
        ...(patch.hideDisabledFlags !== undefined ? { hide_disabled_flags: patch.hideDisabledFlags } : {}),
      };
      if (Object.keys(set).length > 0) await ex.updateTable('projects').set(set).where('id', '=', id).execute();
    },
    async delete(ex, id) {
      await ex.deleteFrom('projects').where('id', '=', id).execute();
    },
  };
}
