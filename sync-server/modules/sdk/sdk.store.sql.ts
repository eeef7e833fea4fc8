import type { CompiledQuery } from 'kysely';
import type { DbExecutor } from '../../platform/database/database.js';
import type { TypedValueColumns } from '../../../src-shared/domain/flags/feature-state-value.rules.js';
import { selectLiveVersionUuids } from '../versions/live-versions.sql.js';
import type { DocumentSource, SdkStore } from './sdk.store.js';

type ValueRow = { string_value: string | null; integer_value: number | string | null; boolean_value: boolean | number | null };

function typedValue(type: string, r: ValueRow): TypedValueColumns {
  return {
    type: type as TypedValueColumns['type'],
    string_value: r.string_value,
    integer_value: r.integer_value === null ? null : Number(r.integer_value),
    boolean_value: r.boolean_value === null ? null : Boolean(r.boolean_value),
  };
}

/** One row per active server-side key of the environment (one row of nulls when it has none). */
function revisionQuery(ex: DbExecutor, environmentId: number) {
  return ex
    .selectFrom('environments as e')
    .innerJoin('projects as p', 'p.id', 'e.project_id')
    .innerJoin('organisations as o', 'o.id', 'p.organisation_id')
    .leftJoin('environment_api_keys as k', (join) => join.onRef('k.environment_id', '=', 'e.id').on('k.active', '=', true))
    .select(['e.document_revision', 'o.stop_serving_flags', 'e.api_key', 'k.key_hash', 'k.expires_at'])
    .where('e.id', '=', environmentId);
}

/** Stands for the environment id in the compiled revision query (no real id is negative). */
const ENVIRONMENT_ID_PLACEHOLDER = -7_364_019;

type RevisionRow = Awaited<ReturnType<ReturnType<typeof revisionQuery>['executeTakeFirstOrThrow']>>;

export function createSqlSdkStore(): SdkStore {
  const revisionQueries = new WeakMap<DbExecutor, { compiled: CompiledQuery<RevisionRow>; environmentIdAt: number }>();
  return {
    async readRevision(ex, environmentId) {
      // Every SDK request runs this query, so it is compiled once per executor and only its environment id
      // is swapped in: building and compiling it each time cost more than running it.
      let template = revisionQueries.get(ex);
      if (!template) {
        const compiled = revisionQuery(ex, ENVIRONMENT_ID_PLACEHOLDER).compile();
        template = { compiled, environmentIdAt: compiled.parameters.indexOf(ENVIRONMENT_ID_PLACEHOLDER) };
        if (template.environmentIdAt < 0) throw new Error('Invariant violated: the revision query has no environment id parameter');
        revisionQueries.set(ex, template);
      }
      const parameters = [...template.compiled.parameters];
      parameters[template.environmentIdAt] = environmentId;
      const { rows } = await ex.executeQuery<RevisionRow>({ ...template.compiled, parameters });
      const first = rows[0];
      if (!first) return undefined;
      const serverKeys = new Map<string, string | null>();
      for (const r of rows) if (r.key_hash !== null) serverKeys.set(r.key_hash, r.expires_at);
      return { revision: Number(first.document_revision), stopServingFlags: Boolean(first.stop_serving_flags), clientKey: first.api_key, serverKeys };
    },

    async readDocumentSource(ex, environmentId, now) {
      const env = await ex
        .selectFrom('environments as e')
        .innerJoin('projects as p', 'p.id', 'e.project_id')
        .innerJoin('organisations as o', 'o.id', 'p.organisation_id')
        .select([
          'e.id',
          'e.uuid',
          'e.api_key',
          'e.name',
          'e.allow_client_traits',
          'e.hide_disabled_flags',
          'e.document_revision',
          'e.updated_at',
          'p.id as project_id',
          'p.name as project_name',
          'p.hide_disabled_flags as project_hide_disabled_flags',
          'o.id as organisation_id',
          'o.name as organisation_name',
          'o.stop_serving_flags',
          'o.persist_trait_data',
        ])
        .where('e.id', '=', environmentId)
        .executeTakeFirst();
      if (!env) return undefined;
      const projectId = env.project_id;

      const [features, segments, featureSegments, featureStates, multivariateValues, identities, traits, liveVersions, nextVersion] = await Promise.all([
        ex
          .selectFrom('features')
          .select(['id', 'name', 'type', 'initial_value', 'default_enabled', 'description', 'is_server_key_only', 'created_at'])
          .where('project_id', '=', projectId)
          .orderBy('id')
          .execute(),
        ex.selectFrom('segments').select(['id', 'name', 'rules_json']).where('project_id', '=', projectId).orderBy('id').execute(),
        ex
          .selectFrom('feature_segments')
          .select(['id', 'feature_id', 'segment_id', 'priority', 'environment_feature_version_uuid'])
          .where('environment_id', '=', environmentId)
          .orderBy('id')
          .execute(),
        ex
          .selectFrom('feature_states')
          .select([
            'id',
            'uuid',
            'feature_id',
            'identity_id',
            'feature_segment_id',
            'enabled',
            'value_type',
            'string_value',
            'integer_value',
            'boolean_value',
            'version',
            'live_from',
            'environment_feature_version_uuid',
            'mv_hashing_salt',
          ])
          .where('environment_id', '=', environmentId)
          .orderBy('id')
          .execute(),
        ex
          .selectFrom('multivariate_feature_state_values as v')
          .innerJoin('feature_states as fs', 'fs.id', 'v.feature_state_id')
          .innerJoin('multivariate_options as o', 'o.id', 'v.multivariate_option_id')
          .select([
            'v.id',
            'v.uuid',
            'v.feature_state_id',
            'v.multivariate_option_id',
            'v.percentage_allocation',
            'o.type',
            'o.string_value',
            'o.integer_value',
            'o.boolean_value',
          ])
          .where('fs.environment_id', '=', environmentId)
          .orderBy('v.id')
          .execute(),
        ex
          .selectFrom('identities')
          .select(['id', 'uuid', 'identifier', 'created_at'])
          .where('environment_id', '=', environmentId)
          .where('id', 'in', (qb) => qb.selectFrom('feature_states').select('identity_id').where('environment_id', '=', environmentId).where('identity_id', 'is not', null))
          .orderBy('id')
          .execute(),
        ex
          .selectFrom('traits as t')
          .innerJoin('identities as i', 'i.id', 't.identity_id')
          .select(['t.identity_id', 't.trait_key', 't.value_json'])
          .where('i.environment_id', '=', environmentId)
          .where('i.id', 'in', (qb) => qb.selectFrom('feature_states').select('identity_id').where('environment_id', '=', environmentId).where('identity_id', 'is not', null))
          .orderBy('t.id')
          .execute(),
        selectLiveVersionUuids(ex, environmentId, now).execute(),
        ex
          .selectFrom('environment_feature_versions')
          .select((eb) => eb.fn.min('live_from').as('live_from'))
          .where('environment_id', '=', environmentId)
          .where('status', '=', 'published')
          .where('live_from', '>', now)
          .executeTakeFirst(),
      ]);

      const source: DocumentSource = {
        environment: {
          id: env.id,
          uuid: env.uuid,
          apiKey: env.api_key,
          name: env.name,
          allowClientTraits: Boolean(env.allow_client_traits),
          hideDisabledFlags: env.hide_disabled_flags === null ? null : Boolean(env.hide_disabled_flags),
          revision: Number(env.document_revision),
          updatedAt: env.updated_at,
          projectId,
          projectName: env.project_name,
          projectHideDisabledFlags: Boolean(env.project_hide_disabled_flags),
          organisationId: env.organisation_id,
          organisationName: env.organisation_name,
          stopServingFlags: Boolean(env.stop_serving_flags),
          persistTraitData: Boolean(env.persist_trait_data),
        },
        features: features.map((f) => ({
          id: f.id,
          name: f.name,
          type: f.type,
          initialValue: f.initial_value,
          defaultEnabled: Boolean(f.default_enabled),
          description: f.description,
          isServerKeyOnly: Boolean(f.is_server_key_only),
          createdAt: f.created_at,
        })),
        segments: segments.map((s) => ({ id: s.id, name: s.name, rulesJson: s.rules_json })),
        featureSegments: featureSegments.map((fs) => ({
          id: fs.id,
          featureId: fs.feature_id,
          segmentId: fs.segment_id,
          priority: Number(fs.priority),
          environmentFeatureVersionUuid: fs.environment_feature_version_uuid,
        })),
        featureStates: featureStates.map((s) => ({
          id: s.id,
          uuid: s.uuid,
          featureId: s.feature_id,
          identityId: s.identity_id,
          featureSegmentId: s.feature_segment_id,
          enabled: Boolean(s.enabled),
          value: typedValue(s.value_type, s),
          version: s.version === null ? null : Number(s.version),
          liveFrom: s.live_from,
          environmentFeatureVersionUuid: s.environment_feature_version_uuid,
          bucketingSeed: s.mv_hashing_salt === null ? null : Number(s.mv_hashing_salt),
        })),
        multivariateValues: multivariateValues.map((v) => ({
          id: v.id,
          uuid: v.uuid,
          featureStateId: v.feature_state_id,
          optionId: v.multivariate_option_id,
          percentageAllocation: Number(v.percentage_allocation),
          optionValue: typedValue(v.type, v),
        })),
        identities: identities.map((i) => ({ id: i.id, uuid: i.uuid, identifier: i.identifier, createdAt: i.created_at })),
        traits: traits.map((t) => ({ identityId: t.identity_id, traitKey: t.trait_key, valueJson: t.value_json })),
        liveVersionUuids: liveVersions.map((v) => v.uuid),
        nextVersionLiveFrom: nextVersion?.live_from ?? null,
      };
      return source;
    },
  };
}
