import type { TestApi } from './api-harness.js';
import { createEnvironment, createProject } from './tenancy.js';

/*
 * Fixtures of the versioning tests. Features, options and segments are written straight into the tables
 * (as their modules would) so these tests depend only on the versions module; an environment is moved to
 * v2 the way the enable-v2 job will do it: flag columns, then `createInitialVersions`.
 */

let counter = 0;
const unique = (prefix: string) => `${prefix}-${++counter}-${Math.random().toString(36).slice(2, 8)}`;

export interface V2World {
  project: number;
  env: { id: number; api_key: string };
  feature: number;
  /** Multivariate option ids of the feature (a multivariate feature when non-empty). */
  options: number[];
  /** Segment ids of the project, named `seg-0`, `seg-1`, ... */
  segments: number[];
}

export async function insertFeature(api: TestApi, projectId: number, options: { name?: string; defaultEnabled?: boolean; initialValue?: string | null; optionValues?: string[] } = {}): Promise<{ id: number; options: number[] }> {
  const k = api.testDb.db.kysely;
  const now = api.clock.now().toISOString();
  const f = await k
    .insertInto('features')
    .values({
      uuid: unique('feature'), project_id: projectId, name: options.name ?? unique('feature'), type: options.optionValues?.length ? 'MULTIVARIATE' : 'STANDARD',
      initial_value: options.initialValue ?? null, default_enabled: options.defaultEnabled ?? false, description: null, is_archived: false, is_server_key_only: false, created_at: now,
    })
    .returning('id')
    .executeTakeFirstOrThrow();
  const ids: number[] = [];
  for (const value of options.optionValues ?? []) {
    const o = await k
      .insertInto('multivariate_options')
      .values({ uuid: unique('option'), feature_id: f.id, type: 'unicode', string_value: value, integer_value: null, boolean_value: null, default_percentage_allocation: 0 })
      .returning('id')
      .executeTakeFirstOrThrow();
    ids.push(o.id);
  }
  return { id: f.id, options: ids };
}

/** A v1 environment default for a feature in an environment (what creating a feature does on v1). */
export async function insertEnvironmentDefault(api: TestApi, environmentId: number, featureId: number, enabled = false, value: string | null = null): Promise<number> {
  const now = api.clock.now().toISOString();
  const r = await api.testDb.db.kysely
    .insertInto('feature_states')
    .values({
      uuid: unique('fs'), feature_id: featureId, environment_id: environmentId, identity_id: null, feature_segment_id: null, enabled, value_type: 'unicode', string_value: value,
      integer_value: null, boolean_value: null, version: 1, live_from: now, environment_feature_version_uuid: null, created_at: now, updated_at: now,
    })
    .returning('id')
    .executeTakeFirstOrThrow();
  return r.id;
}

export async function insertSegment(api: TestApi, projectId: number, name: string): Promise<number> {
  const now = api.clock.now().toISOString();
  const r = await api.testDb.db.kysely
    .insertInto('segments')
    .values({ uuid: unique('segment'), project_id: projectId, feature_id: null, name, description: null, rules_json: '[]', created_at: now, updated_at: now })
    .returning('id')
    .executeTakeFirstOrThrow();
  return r.id;
}

/** Moves an environment to v2 as the enable-v2 job will: the flags, then each feature's initial version. */
export async function enableV2(api: TestApi, environmentId: number): Promise<void> {
  const db = api.testDb.db;
  await db.transaction(async (trx) => {
    await trx.updateTable('environments').set({ use_v2_feature_versioning: true, versioning_status: 'v2' }).where('id', '=', environmentId).execute();
    await api.built.services.versions.createInitialVersions(trx, environmentId);
  });
}

/** A project with a v2 environment holding one feature (with options and segments as asked). */
export async function v2World(api: TestApi, options: { segments?: number; optionValues?: string[]; project?: number } = {}): Promise<V2World> {
  const project = options.project ?? (await createProject(api, unique('project'))).id;
  const env = await createEnvironment(api, project, unique('env'));
  const feature = await insertFeature(api, project, { optionValues: options.optionValues ?? [] });
  await insertEnvironmentDefault(api, env.id, feature.id);
  const segments: number[] = [];
  for (let i = 0; i < (options.segments ?? 0); i++) segments.push(await insertSegment(api, project, `seg-${i}`));
  await enableV2(api, env.id);
  return { project, env, feature: feature.id, options: feature.options, segments };
}

/** The `{environment_pk, feature_pk}` params of a world. */
export function at(w: V2World, extra: Record<string, string | number> = {}): Record<string, string | number> {
  return { environment_pk: w.env.id, feature_pk: w.feature, ...extra };
}

export const stringValue = (s: string | null) => ({ type: 'unicode', string_value: s, integer_value: null, boolean_value: null });
