import { afterAll, describe, expect, test } from 'vitest';
import { indexedDB, IDBKeyRange } from 'fake-indexeddb';
import { createRxDatabase, addRxPlugin, type RxDatabase } from 'rxdb';
import { RxDBDevModePlugin } from 'rxdb/plugins/dev-mode';
import { getRxStorageDexie } from 'rxdb/plugins/storage-dexie';
import { wrappedValidateAjvStorage } from 'rxdb/plugins/validate-ajv';
import { SYNC_COLLECTION_NAMES, SYNC_COLLECTIONS } from '../../../src-shared/contracts/sync/collections.js';
import { toRxJsonSchema } from '../../../src-shared/contracts/sync/rx-schema.js';

// dev-mode checks every schema rule RxDB has (primary key, index fields, field names, ...); the Ajv
// validator then checks a sample document of each collection against the generated schema.
addRxPlugin(RxDBDevModePlugin);

const samples: Record<string, Record<string, unknown>> = {
  organisations: { id: 'o-1', seq: 1, pk: 1, name: 'Acme', planName: 'free', persistTraitData: true, stopServingFlags: false, maxSegmentOverridesPerEnvironment: 100, featureHistoryVisibilityDays: null, createdAt: '2026-06-01T12:00:00.000Z' },
  projects: { id: 'p-1', seq: 2, pk: 1, organisationId: 1, name: 'Web', hideDisabledFlags: false, createdAt: '2026-06-01T12:00:00.000Z' },
  environments: {
    id: 'e-1', seq: 3, pk: 1, organisationId: 1, projectId: 1, name: 'Dev', description: null, apiKey: 'abc', useV2FeatureVersioning: true, versioningStatus: 'v2', versioningProgress: null,
    minimumChangeRequestApprovals: null, allowClientTraits: true, hideDisabledFlags: null, createdAt: '2026-06-01T12:00:00.000Z', updatedAt: '2026-06-01T12:00:00.000Z',
  },
  features: {
    id: 'f-1', seq: 4, pk: 1, organisationId: 1, projectId: 1, name: 'banner', type: 'MULTIVARIATE', initialValue: null, defaultEnabled: false, description: null, isArchived: false, isServerKeyOnly: false, createdAt: '2026-06-01T12:00:00.000Z',
    multivariateOptions: [{ pk: 1, uuid: 'm-1', type: 'unicode', stringValue: 'red', integerValue: null, booleanValue: null, defaultPercentageAllocation: 50 }],
  },
  segments: { id: 's-1', seq: 5, pk: 1, organisationId: 1, projectId: 1, featureId: null, name: 'vip', description: null, rules: [{ type: 'ALL', rules: [], conditions: [] }], createdAt: '2026-06-01T12:00:00.000Z', updatedAt: '2026-06-01T12:00:00.000Z' },
  versions: {
    id: 'v-1', seq: 6, organisationId: 1, projectId: 1, environmentId: 1, featureId: 1, status: 'published', description: null,
    content: { environmentDefault: { enabled: true, value: { type: 'unicode', string_value: 'x', integer_value: null, boolean_value: null }, multivariateWeights: { '1': 50 } }, segmentOverrides: { '3': { priority: 0, enabled: true, value: { type: 'int', string_value: null, integer_value: 4, boolean_value: null }, multivariateWeights: {} } } },
    contentHash: 'h', baseVersionUuid: null, previousVersionUuid: null, conflicts: null, liveFrom: '2026-06-01T12:00:00.000Z', liveSeq: 1, publishedAt: '2026-06-01T12:00:00.000Z', publishedByUserId: 1, createdByUserId: 1,
    createdAt: '2026-06-01T12:00:00.000Z', updatedAt: '2026-06-01T12:00:00.000Z',
  },
  drafts: {
    id: 'd-1', seq: 7, organisationId: 1, projectId: 1, environmentId: 1, featureId: 1, description: null, baseVersionUuid: 'v-1', state: 'AAA=',
    content: { environmentDefault: { enabled: false, value: { type: 'bool', string_value: null, integer_value: null, boolean_value: true }, multivariateWeights: {} }, segmentOverrides: {} },
    createdByUserId: 1, createdAt: '2026-06-01T12:00:00.000Z', updatedAt: '2026-06-01T12:00:00.000Z', error: { code: 'PERMISSION_DENIED', message: 'no' },
  },
  change_requests: {
    id: 'c-1', seq: 8, pk: 1, organisationId: 1, projectId: 1, environmentId: 1,
    changeRequest: {
      id: 1, uuid: 'c-1', title: 'Turn it on', description: null, user: 1, environment: 1, project: 1, created_at: '2026-06-01T12:00:00.000Z', updated_at: '2026-06-01T12:00:00.000Z',
      committed_at: null, committed_by: null, deleted_at: null, is_committed: false, is_approved: false, status: 'open', required_approvals: 1, current_approvals: 0, content_hash: 'sha256:x',
      approvals: [{ user: 2, approved_at: null, is_assignee: true, content_hash: null, is_stale: false }], feature_states: [],
      change_sets: [
        {
          id: 1, feature: 1, live_from: null, feature_states_to_create: [],
          feature_states_to_update: [{ feature_segment: null, enabled: true, feature_state_value: { type: 'unicode', string_value: 'x', integer_value: null, boolean_value: null }, multivariate_feature_state_values: [] }],
          segment_ids_to_delete_overrides: [], base_version_uuid: 'v-1', content_hash: 'sha256:y', environment_feature_version: null, version_status: null, conflicts: [],
        },
      ],
      environment_feature_versions: [],
    },
  },
  intents: {
    id: 'i-1', seq: 0, kind: 'publish', organisationId: null, projectId: null, environmentId: 1, featureId: 1, versionUuid: 'd-1', changeRequestId: null, liveFrom: null, createdAt: '2026-06-01T12:00:00.000Z', status: 'done',
    result: { code: 'OK', message: 'Published.', versionUuid: 'd-1', conflicts: null, executedAt: '2026-06-01T12:00:01.000Z' },
  },
};

describe('RxDB collection schemas generated from the sync contracts', () => {
  let db: RxDatabase | undefined;
  afterAll(async () => {
    await db?.close();
  });

  test('the replica needs at most 10 collections (the free RxDB build opens 13 per process)', () => {
    expect(SYNC_COLLECTION_NAMES.length).toBeLessThanOrEqual(10);
  });

  test('generated schemas carry no format and type every nullable field for RxDB', () => {
    for (const name of SYNC_COLLECTION_NAMES) {
      const schema = toRxJsonSchema(name);
      expect(JSON.stringify(schema)).not.toContain('"format"');
      expect(JSON.stringify(schema)).not.toContain('"anyOf"');
      expect(schema).toMatchObject({ primaryKey: 'id', version: 0, type: 'object', properties: { id: { type: 'string', maxLength: 64 } } });
    }
    expect(toRxJsonSchema('environments').properties).toMatchObject({ description: { type: ['string', 'null'] } });
  });

  test('RxDB (Dexie storage over fake-indexeddb, dev-mode, Ajv) accepts every schema and a document of each', async () => {
    db = await createRxDatabase({
      name: `schemas${Date.now()}`,
      storage: wrappedValidateAjvStorage({ storage: getRxStorageDexie({ indexedDB, IDBKeyRange }) }),
      ignoreDuplicate: true,
    });
    await db.addCollections(Object.fromEntries(SYNC_COLLECTION_NAMES.map((name) => [name, { schema: toRxJsonSchema(name) as never }])));
    for (const name of SYNC_COLLECTION_NAMES) {
      const sample = samples[name]!;
      // The sample is also a valid document of the TypeBox schema the server answers with.
      expect(Object.keys(sample).sort()).toEqual(Object.keys(SYNC_COLLECTIONS[name].schema.properties).sort());
      await db.collections[name]!.insert(sample);
      expect((await db.collections[name]!.findOne(sample.id as string).exec())?.toJSON()).toMatchObject(sample);
    }
    await expect(db.collections.features!.insert({ ...samples.features, id: 'f-2', type: 'OTHER' })).rejects.toThrow();
  });
});
