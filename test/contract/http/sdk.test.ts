import { afterAll, beforeAll, describe, expect, test, vi } from 'vitest';
import { FormatRegistry } from '@sinclair/typebox';
import { Value } from '@sinclair/typebox/value';
import { EnvironmentDocumentSchema, SdkFlagSchema, SdkIdentitiesResponseSchema } from '../../../src-shared/contracts/sdk/environment-document.schema.js';
import { getHashedPercentageForObjectIds } from '../../../src-shared/domain/evaluation/hashing.js';
import { generateUuid } from '../../../sync-server/platform/security/secrets.js';
import { buildApp } from '../../../sync-server/app/build-app.js';
import { TestApi } from '../../support/api-harness.js';
import { DIALECTS } from '../../support/databases.js';
import { createFeature } from '../../support/flag-fixtures.js';
import { enableV2 } from '../../support/versions-fixtures.js';
import {
  createIdentity,
  createIdentityOverride,
  createSdkEnvironment,
  createSegment,
  createSegmentOverride,
  sdkOp,
  setEnvironmentDefault,
  type SdkEnvironment,
} from '../../support/sdk-fixtures.js';

// TypeBox's Value.Check knows no string formats until they are registered (Fastify's Ajv brings its own).
if (!FormatRegistry.Has('date-time')) FormatRegistry.Set('date-time', (v) => /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)$/.test(v));

type Flag = { id: number; feature: { id: number; name: string }; feature_state_value: unknown; enabled: boolean; environment: number; identity: number | null; feature_segment: number | null };
const byName = (flags: Flag[]) => Object.fromEntries(flags.map((f) => [f.feature.name, { enabled: f.enabled, value: f.feature_state_value }]));

describe.each(DIALECTS)('SDK routes on %s', (dialect) => {
  const api = new TestApi(dialect);
  let env: SdkEnvironment;
  const features: Record<string, number> = {};
  const k = () => api.testDb.db.kysely;

  beforeAll(async () => {
    await api.start();
    env = await createSdkEnvironment(api);
    features.banner = (await createFeature(api, env.projectId, 'banner', { initial_value: 'hello', default_enabled: true, description: 'Top banner' })).id;
    features.limit = (await createFeature(api, env.projectId, 'limit', { initial_value: '10', default_enabled: true })).id;
    features.dark_mode = (await createFeature(api, env.projectId, 'dark_mode', { initial_value: 'true', default_enabled: false })).id;
    features.secret = (await createFeature(api, env.projectId, 'secret', { default_enabled: true, is_server_key_only: true })).id;
  });
  afterAll(() => api.stop());

  describe('GET /api/v1/flags/', () => {
    test('answers every environment default with typed values in the Flagsmith flag shape', async () => {
      const r = await sdkOp<Flag[]>(api, 'getSdkFlags', env.serverKey);
      expect(r.status).toBe(200);
      for (const flag of r.body) expect(Value.Check(SdkFlagSchema, flag), JSON.stringify(flag)).toBe(true);
      expect(byName(r.body)).toEqual({
        banner: { enabled: true, value: 'hello' },
        limit: { enabled: true, value: 10 },
        dark_mode: { enabled: false, value: true },
        secret: { enabled: true, value: null },
      });
      const banner = r.body.find((f) => f.feature.name === 'banner')!;
      expect(banner).toMatchObject({
        feature: { id: features.banner, name: 'banner', description: 'Top banner', initial_value: 'hello', default_enabled: true, type: 'STANDARD', created_date: '2026-06-01T12:00:00.000Z' },
        environment: env.environmentId,
        identity: null,
        feature_segment: null,
      });
    });

    test('hides server-key-only features from client-side keys', async () => {
      const client = await sdkOp<Flag[]>(api, 'getSdkFlags', env.clientKey);
      expect(client.body.map((f) => f.feature.name).sort()).toEqual(['banner', 'dark_mode', 'limit']);
      const server = await sdkOp<Flag[]>(api, 'getSdkFlags', env.serverKey);
      expect(server.body.map((f) => f.feature.name)).toContain('secret');
    });

    test('answers one flag for ?feature= and 404 for a feature that is not served', async () => {
      const one = await sdkOp<Flag>(api, 'getSdkFlags', env.clientKey, { query: { feature: 'limit' } });
      expect(one.status).toBe(200);
      expect(one.body).toMatchObject({ feature: { name: 'limit' }, feature_state_value: 10, enabled: true });
      expect((await sdkOp(api, 'getSdkFlags', env.clientKey, { query: { feature: 'nope' } })).status).toBe(404);
      expect((await sdkOp(api, 'getSdkFlags', env.clientKey, { query: { feature: 'secret' } })).status).toBe(404);
    });

    test('shows a change made through the Admin API on the next call (cache follows the revision)', async () => {
      await sdkOp(api, 'getSdkFlags', env.clientKey);
      await setEnvironmentDefault(api, env, features.banner!, { value: 'changed' });
      const r = await sdkOp<Flag[]>(api, 'getSdkFlags', env.clientKey);
      expect(byName(r.body).banner).toEqual({ enabled: true, value: 'changed' });
      await setEnvironmentDefault(api, env, features.banner!, { value: 'hello' });
    });

    test('leaves disabled flags out when the project hides them, and the environment setting overrides the project', async () => {
      const names = async () => (await sdkOp<Flag[]>(api, 'getSdkFlags', env.serverKey)).body.map((f) => f.feature.name).sort();
      const patchProject = (hide: boolean) => api.op('partialUpdateProject', { params: { id: env.projectId }, body: { hide_disabled_flags: hide } });
      const patchEnvironment = (hide: boolean | null) => api.op('partialUpdateEnvironment', { params: { api_key: env.clientKey }, body: { hide_disabled_flags: hide } });
      try {
        expect((await patchProject(true)).status).toBe(200);
        expect(await names()).toEqual(['banner', 'limit', 'secret']);
        expect((await patchProject(false)).status).toBe(200);
        expect(await names()).toEqual(['banner', 'dark_mode', 'limit', 'secret']);
        expect((await patchEnvironment(true)).status).toBe(200);
        expect(await names()).toEqual(['banner', 'limit', 'secret']);
      } finally {
        await patchEnvironment(null);
        await patchProject(false);
      }
      expect(await names()).toEqual(['banner', 'dark_mode', 'limit', 'secret']);
    });

    test('401 without a key or with an unknown key', async () => {
      expect((await api.op('getSdkFlags', { auth: '' })).status).toBe(401);
      const bad = await api.op('getSdkFlags', { auth: '', headers: { 'x-environment-key': 'not-a-key' } });
      expect(bad.status).toBe(401);
      expect(bad.body.code).toBe('UNAUTHENTICATED');
    });

    test('403 while the organisation has stopped serving flags', async () => {
      await k().updateTable('organisations').set({ stop_serving_flags: true }).where('id', '=', api.organisationId).execute();
      try {
        const r = await sdkOp(api, 'getSdkFlags', env.clientKey);
        expect(r.status).toBe(403);
        expect(r.body.code).toBe('PERMISSION_DENIED');
        expect((await sdkOp(api, 'getEnvironmentDocument', env.serverKey)).status).toBe(403);
      } finally {
        await k().updateTable('organisations').set({ stop_serving_flags: false }).where('id', '=', api.organisationId).execute();
      }
      expect((await sdkOp(api, 'getSdkFlags', env.clientKey)).status).toBe(200);
    });
  });

  describe('identities', () => {
    let power: { id: number };
    let beta: { id: number };
    let powerOverride: { featureSegmentId: number; featureStateId: number };

    beforeAll(async () => {
      power = await createSegment(api, env.projectId, 'power users', [{ operator: 'GREATER_THAN_INCLUSIVE', property: 'orders', value: 10 }]);
      beta = await createSegment(api, env.projectId, 'beta', [{ operator: 'EQUAL', property: 'plan', value: 'beta' }]);
      powerOverride = await createSegmentOverride(api, env, { featureId: features.banner!, segmentId: power.id, enabled: true, value: 'power banner', priority: 0 });
      await createSegmentOverride(api, env, { featureId: features.banner!, segmentId: beta.id, enabled: false, value: 'beta banner', priority: 1 });
      await createSegmentOverride(api, env, { featureId: features.dark_mode!, segmentId: beta.id, enabled: true, value: true });
    });

    test('GET creates the identity on first sight and answers its flags and traits', async () => {
      const r = await sdkOp(api, 'getSdkIdentity', env.clientKey, { query: { identifier: 'first-timer' } });
      expect(r.status).toBe(200);
      expect(Value.Check(SdkIdentitiesResponseSchema, r.body)).toBe(true);
      expect(r.body.identifier).toBe('first-timer');
      expect(r.body.traits).toEqual([]);
      expect(byName(r.body.flags)).toEqual({ banner: { enabled: true, value: 'hello' }, limit: { enabled: true, value: 10 }, dark_mode: { enabled: false, value: true } });
      const listed = await api.op('listIdentities', { params: { environment_api_key: env.clientKey }, query: { q: '"first-timer"' } });
      expect(listed.body.results.map((i: { identifier: string }) => i.identifier)).toEqual(['first-timer']);
    });

    test('400 naming the field when identifier is missing', async () => {
      const r = await sdkOp(api, 'getSdkIdentity', env.clientKey);
      expect(r.status).toBe(400);
      expect(r.body.details.issues[0].path).toMatch(/identifier/);
    });

    test('POST with traits stores them (server key) and applies the matching segment override', async () => {
      const r = await sdkOp(api, 'identifySdkIdentity', env.serverKey, { body: { identifier: 'big-spender', traits: [{ trait_key: 'orders', trait_value: 12 }] } });
      expect(r.status).toBe(200);
      expect(Value.Check(SdkIdentitiesResponseSchema, r.body)).toBe(true);
      expect(r.body.traits).toEqual([{ trait_key: 'orders', trait_value: 12 }]);
      const banner = r.body.flags.find((f: Flag) => f.feature.name === 'banner');
      expect(banner).toMatchObject({ enabled: true, feature_state_value: 'power banner', feature_segment: powerOverride.featureSegmentId, id: powerOverride.featureStateId, identity: null });
      // Stored: a later GET without traits evaluates with them.
      const again = await sdkOp(api, 'getSdkIdentity', env.serverKey, { query: { identifier: 'big-spender' } });
      expect(again.body.traits).toEqual([{ trait_key: 'orders', trait_value: 12 }]);
      expect(byName(again.body.flags).banner).toEqual({ enabled: true, value: 'power banner' });
    });

    test('the highest-priority matching segment override wins; other features keep their own overrides', async () => {
      const r = await sdkOp(api, 'identifySdkIdentity', env.serverKey, {
        body: { identifier: 'both', traits: [{ trait_key: 'orders', trait_value: 50 }, { trait_key: 'plan', trait_value: 'beta' }] },
      });
      expect(byName(r.body.flags)).toMatchObject({ banner: { enabled: true, value: 'power banner' }, dark_mode: { enabled: true, value: true } });
      const betaOnly = await sdkOp(api, 'identifySdkIdentity', env.serverKey, { body: { identifier: 'beta-only', traits: [{ trait_key: 'plan', trait_value: 'beta' }] } });
      expect(byName(betaOnly.body.flags).banner).toEqual({ enabled: false, value: 'beta banner' });
    });

    test('an identity override beats every segment override and names the identity', async () => {
      const vip = await createIdentity(api, env, 'vip');
      const o = await createIdentityOverride(api, env, vip.id, features.banner!, { enabled: true, value: 'just for you' });
      const r = await sdkOp(api, 'identifySdkIdentity', env.clientKey, { body: { identifier: 'vip', traits: [{ trait_key: 'orders', trait_value: 99 }] } });
      expect(r.body.flags.find((f: Flag) => f.feature.name === 'banner')).toMatchObject({ id: o.id, feature_state_value: 'just for you', enabled: true, identity: vip.id, feature_segment: null });
    });

    test('a null trait value deletes the stored trait', async () => {
      await sdkOp(api, 'identifySdkIdentity', env.serverKey, { body: { identifier: 'forgetful', traits: [{ trait_key: 'plan', trait_value: 'beta' }, { trait_key: 'age', trait_value: 30 }] } });
      const r = await sdkOp(api, 'identifySdkIdentity', env.serverKey, { body: { identifier: 'forgetful', traits: [{ trait_key: 'plan', trait_value: null }] } });
      expect(r.body.traits).toEqual([{ trait_key: 'age', trait_value: 30 }]);
      expect(byName(r.body.flags).banner).toEqual({ enabled: true, value: 'hello' });
    });

    test('client keys evaluate with traits but do not store them when the environment disallows client traits', async () => {
      await api.op('partialUpdateEnvironment', { params: { api_key: env.clientKey }, body: { allow_client_traits: false } });
      try {
        const r = await sdkOp(api, 'identifySdkIdentity', env.clientKey, { body: { identifier: 'client-side', traits: [{ trait_key: 'orders', trait_value: 20 }] } });
        expect(r.status).toBe(200);
        expect(byName(r.body.flags).banner).toEqual({ enabled: true, value: 'power banner' });
        const later = await sdkOp(api, 'getSdkIdentity', env.clientKey, { query: { identifier: 'client-side' } });
        expect(later.body.traits).toEqual([]);
        // A server-side key may still store them.
        await sdkOp(api, 'identifySdkIdentity', env.serverKey, { body: { identifier: 'client-side', traits: [{ trait_key: 'orders', trait_value: 20 }] } });
        expect((await sdkOp(api, 'getSdkIdentity', env.clientKey, { query: { identifier: 'client-side' } })).body.traits).toEqual([{ trait_key: 'orders', trait_value: 20 }]);
      } finally {
        await api.op('partialUpdateEnvironment', { params: { api_key: env.clientKey }, body: { allow_client_traits: true } });
      }
    });

    test('nothing is stored when the organisation does not persist trait data', async () => {
      await api.op('partialUpdateOrganisation', { params: { id: api.organisationId }, body: { persist_trait_data: false } });
      try {
        const r = await sdkOp(api, 'identifySdkIdentity', env.serverKey, { body: { identifier: 'private', traits: [{ trait_key: 'orders', trait_value: 11 }] } });
        expect(byName(r.body.flags).banner).toEqual({ enabled: true, value: 'power banner' });
        expect((await sdkOp(api, 'getSdkIdentity', env.serverKey, { query: { identifier: 'private' } })).body.traits).toEqual([]);
      } finally {
        await api.op('partialUpdateOrganisation', { params: { id: api.organisationId }, body: { persist_trait_data: true } });
      }
    });

    test('a transient identify creates no identity', async () => {
      const r = await sdkOp(api, 'identifySdkIdentity', env.serverKey, { body: { identifier: 'ghost', transient: true, traits: [{ trait_key: 'orders', trait_value: 15 }] } });
      expect(r.status).toBe(200);
      expect(byName(r.body.flags).banner).toEqual({ enabled: true, value: 'power banner' });
      expect(await k().selectFrom('identities').select('id').where('identifier', '=', 'ghost').execute()).toEqual([]);
    });

    test('a transient identify of a known identity writes nothing: no transaction, stored traits untouched', async () => {
      await sdkOp(api, 'identifySdkIdentity', env.serverKey, { body: { identifier: 'known-ghost', traits: [{ trait_key: 'orders', trait_value: 3 }] } });
      const traitRows = () => k().selectFrom('traits as t').innerJoin('identities as i', 'i.id', 't.identity_id').select(['t.id', 't.trait_key', 't.value_json']).where('i.identifier', '=', 'known-ghost').execute();
      const before = await traitRows();
      const writes = vi.spyOn(api.testDb.db, 'transaction');
      try {
        const r = await sdkOp(api, 'identifySdkIdentity', env.serverKey, { body: { identifier: 'known-ghost', transient: true, traits: [{ trait_key: 'orders', trait_value: 15 }, { trait_key: 'plan', trait_value: 'beta' }] } });
        expect(r.status).toBe(200);
        expect(r.body.traits).toEqual([{ trait_key: 'orders', trait_value: 15 }, { trait_key: 'plan', trait_value: 'beta' }]);
        expect(byName(r.body.flags).banner).toEqual({ enabled: true, value: 'power banner' });
        expect(writes).not.toHaveBeenCalled();
      } finally {
        writes.mockRestore();
      }
      expect(await traitRows()).toEqual(before);
    });

    test('identifying with the traits already stored writes nothing; a changed trait is written in one transaction', async () => {
      const traits = [{ trait_key: 'orders', trait_value: 4 }, { trait_key: 'plan', trait_value: 'free' }, { trait_key: 'vip', trait_value: false }];
      await sdkOp(api, 'identifySdkIdentity', env.serverKey, { body: { identifier: 'steady', traits } });
      const writes = vi.spyOn(api.testDb.db, 'transaction');
      try {
        const same = await sdkOp(api, 'identifySdkIdentity', env.serverKey, { body: { identifier: 'steady', traits } });
        expect(same.body.traits).toEqual(traits);
        expect(writes).not.toHaveBeenCalled();
        const changed = await sdkOp(api, 'identifySdkIdentity', env.serverKey, { body: { identifier: 'steady', traits: [{ trait_key: 'orders', trait_value: 40 }, { trait_key: 'plan', trait_value: 'free' }, { trait_key: 'vip', trait_value: null }] } });
        expect(changed.body.traits).toEqual([{ trait_key: 'orders', trait_value: 40 }, { trait_key: 'plan', trait_value: 'free' }]);
        expect(byName(changed.body.flags).banner).toEqual({ enabled: true, value: 'power banner' });
        expect(writes).toHaveBeenCalledTimes(1);
      } finally {
        writes.mockRestore();
      }
      expect((await sdkOp(api, 'getSdkIdentity', env.serverKey, { query: { identifier: 'steady' } })).body.traits).toEqual([{ trait_key: 'orders', trait_value: 40 }, { trait_key: 'plan', trait_value: 'free' }]);
    });

    test('without an identifier the identity is transient, keyed by a hash of its traits', async () => {
      const count = async () => (await k().selectFrom('identities').select('id').where('environment_id', '=', env.environmentId).execute()).length;
      const before = await count();
      const body = { traits: [{ trait_key: 'orders', trait_value: 30 }] };
      const first = await sdkOp(api, 'identifySdkIdentity', env.serverKey, { body });
      const second = await sdkOp(api, 'identifySdkIdentity', env.serverKey, { body });
      expect(first.status).toBe(200);
      expect(first.body.identifier).toMatch(/^[0-9a-f]{64}$/);
      expect(second.body.identifier).toBe(first.body.identifier);
      expect(byName(first.body.flags).banner).toEqual({ enabled: true, value: 'power banner' });
      expect(await count()).toBe(before);
    });

    test('a bad trait value is a 400 naming it, and nothing is stored', async () => {
      const r = await sdkOp(api, 'identifySdkIdentity', env.serverKey, { body: { identifier: 'bad-traits', traits: [{ trait_key: 'ok', trait_value: 1 }, { trait_key: 'nested', trait_value: { a: 1 } }] } });
      expect(r.status).toBe(400);
      expect(r.body.details.issues[0].path).toBe('body/traits/1/trait_value');
      expect(await k().selectFrom('identities').select('id').where('identifier', '=', 'bad-traits').execute()).toEqual([]);
    });

    test('401 without a key', async () => {
      expect((await api.op('identifySdkIdentity', { auth: '', body: { identifier: 'x' } })).status).toBe(401);
      expect((await api.op('getSdkIdentity', { auth: '', query: { identifier: 'x' } })).status).toBe(401);
      // An Admin API token is not an environment key.
      expect((await api.op('getSdkIdentity', { query: { identifier: 'x' } })).status).toBe(401);
    });
  });

  describe('multivariate', () => {
    let featureId: number;
    let defaultStateId: number;

    beforeAll(async () => {
      const f = await createFeature(api, env.projectId, 'checkout', {
        initial_value: 'control',
        default_enabled: true,
        multivariate_options: [
          { type: 'unicode', string_value: 'variant-a', default_percentage_allocation: 30 },
          { type: 'unicode', string_value: 'variant-b', default_percentage_allocation: 30 },
        ],
      });
      featureId = f.id;
      const doc = await sdkOp(api, 'getEnvironmentDocument', env.serverKey);
      defaultStateId = doc.body.feature_states.find((fs: { feature: { id: number } }) => fs.feature.id === featureId).django_id;
    });

    test('splits identities between variants by hashing the feature state and `<api key>_<identifier>`', async () => {
      const seen = new Set<unknown>();
      for (let i = 0; i < 40; i++) {
        const identifier = `mv-user-${i}`;
        const percentage = getHashedPercentageForObjectIds([defaultStateId, `${env.clientKey}_${identifier}`]);
        const expected = percentage < 30 ? 'variant-a' : percentage < 60 ? 'variant-b' : 'control';
        const r = await sdkOp(api, 'identifySdkIdentity', env.clientKey, { body: { identifier, transient: true } });
        expect(byName(r.body.flags).checkout, identifier).toEqual({ enabled: true, value: expected });
        seen.add(expected);
      }
      expect(seen).toEqual(new Set(['variant-a', 'variant-b', 'control']));
    });

    test('environment flags carry the control value', async () => {
      const r = await sdkOp<Flag[]>(api, 'getSdkFlags', env.clientKey, { query: { feature: 'checkout' } });
      expect(r.body).toMatchObject({ feature: { type: 'MULTIVARIATE' }, feature_state_value: 'control' });
    });

    test('a segment override with its own weights splits its members by hashing the override and the identity (as SDKs in local evaluation do)', async () => {
      const options = (await api.op('getFeature', { params: { project_pk: env.projectId, id: featureId } })).body.multivariate_options as { id: number; string_value: string }[];
      const option = (value: string) => options.find((o) => o.string_value === value)!.id;
      const gold = await createSegment(api, env.projectId, 'gold', [{ operator: 'EQUAL', property: 'plan', value: 'gold' }]);
      const fseg = await api.op('createFeatureSegment', { body: { feature: featureId, segment: gold.id, environment: env.environmentId, priority: 0 } });
      const override = await api.op('createFeatureState', {
        body: {
          feature: featureId,
          environment: env.environmentId,
          feature_segment: fseg.body.id,
          enabled: true,
          feature_state_value: { type: 'unicode', string_value: 'gold control' },
          multivariate_feature_state_values: [
            { multivariate_feature_option: option('variant-a'), percentage_allocation: 10 },
            { multivariate_feature_option: option('variant-b'), percentage_allocation: 70 },
          ],
        },
      });
      expect(override.status).toBe(201);
      const seen = new Set<unknown>();
      for (let i = 0; i < 40; i++) {
        const identifier = `gold-user-${i}`;
        const percentage = getHashedPercentageForObjectIds([override.body.id, `${env.clientKey}_${identifier}`]);
        const expected = percentage < 10 ? 'variant-a' : percentage < 80 ? 'variant-b' : 'gold control';
        const r = await sdkOp(api, 'identifySdkIdentity', env.clientKey, { body: { identifier, transient: true, traits: [{ trait_key: 'plan', trait_value: 'gold' }] } });
        const flag = r.body.flags.find((f: Flag) => f.feature.name === 'checkout');
        expect({ value: flag.feature_state_value, enabled: flag.enabled, id: flag.id, feature_segment: flag.feature_segment }, identifier).toEqual({
          value: expected,
          enabled: true,
          id: override.body.id,
          feature_segment: fseg.body.id,
        });
        seen.add(expected);
      }
      expect(seen).toEqual(new Set(['variant-a', 'variant-b', 'gold control']));
    });
  });

  describe('versioned (v2) environments', () => {
    test('serve the live version of each feature: not drafts, and a published version at once', async () => {
      const v2 = await createSdkEnvironment(api, 'Versioned');
      const feature = await createFeature(api, v2.projectId, 'headline', { initial_value: 'one', default_enabled: true });
      await enableV2(api, v2.environmentId);
      const headline = async () => byName((await sdkOp<Flag[]>(api, 'getSdkFlags', v2.clientKey)).body).headline;
      expect(await headline()).toEqual({ enabled: true, value: 'one' });

      const params = { environment_pk: v2.environmentId, feature_pk: feature.id };
      const draft = await api.op('createFeatureVersion', {
        params,
        body: { feature_states_to_update: [{ feature_segment: null, enabled: false, feature_state_value: { type: 'unicode', string_value: 'two' } }] },
      });
      expect(draft.status).toBe(201);
      expect(await headline()).toEqual({ enabled: true, value: 'one' });

      expect((await api.op('publishFeatureVersion', { params: { ...params, uuid: draft.body.uuid }, body: {} })).status).toBe(200);
      expect(await headline()).toEqual({ enabled: false, value: 'two' });
      const doc = await sdkOp(api, 'getEnvironmentDocument', v2.serverKey);
      expect(doc.body.feature_states.map((fs: { feature: { name: string }; feature_state_value: unknown }) => [fs.feature.name, fs.feature_state_value])).toEqual([['headline', 'two']]);
    });
  });

  // The auth hook remembers what a key names; the SDK routes check it on every request against the keys
  // read with the document revision, so these changes take effect on the very next request.
  describe('remembered environment keys', () => {
    const newServerKey = async (name: string) => {
      const r = await api.op('createEnvironmentApiKey', { params: { api_key: env.clientKey }, body: { name } });
      expect(r.status).toBe(201);
      return r.body as { id: number; key: string };
    };

    test('a deleted server-side key is refused on the next request, by every SDK route', async () => {
      const key = await newServerKey('short-lived');
      expect((await sdkOp(api, 'getSdkFlags', key.key)).status).toBe(200);
      expect((await sdkOp(api, 'getEnvironmentDocument', key.key)).status).toBe(200);
      expect((await api.op('deleteEnvironmentApiKey', { params: { api_key: env.clientKey, id: key.id } })).status).toBe(204);
      for (const [operationId, options] of [
        ['getSdkFlags', {}],
        ['getEnvironmentDocument', {}],
        ['getSdkIdentity', { query: { identifier: 'someone' } }],
        ['identifySdkIdentity', { body: { identifier: 'someone' } }],
      ] as const) {
        const r = await sdkOp(api, operationId, key.key, options);
        expect(r.status, operationId).toBe(401);
        expect(r.body.code).toBe('UNAUTHENTICATED');
      }
      expect((await sdkOp(api, 'getSdkFlags', env.serverKey)).status).toBe(200);
    });

    test('a deactivated key is refused at once and works again once reactivated', async () => {
      const key = await newServerKey('toggled');
      expect((await sdkOp(api, 'getSdkFlags', key.key)).status).toBe(200);
      await api.op('updateEnvironmentApiKey', { params: { api_key: env.clientKey, id: key.id }, body: { active: false } });
      expect((await sdkOp(api, 'getSdkFlags', key.key)).status).toBe(401);
      await api.op('updateEnvironmentApiKey', { params: { api_key: env.clientKey, id: key.id }, body: { active: true } });
      expect((await sdkOp(api, 'getSdkFlags', key.key)).status).toBe(200);
    });

    test('a key past its expiry is refused without any write', async () => {
      const key = await newServerKey('expiring');
      const now = api.clock.now();
      await k().updateTable('environment_api_keys').set({ expires_at: new Date(now.getTime() + 3600_000).toISOString() }).where('id', '=', key.id).execute();
      expect((await sdkOp(api, 'getSdkFlags', key.key)).status).toBe(200);
      expect(await api.built.services.auth.resolveEnvironmentKey(key.key)).toMatchObject({ isServerKey: true });
      api.clock.advanceMs(2 * 3600_000);
      try {
        expect((await sdkOp(api, 'getSdkFlags', key.key)).status).toBe(401);
        expect(await api.built.services.auth.resolveEnvironmentKey(key.key)).toBeUndefined();
      } finally {
        api.clock.set(now);
      }
    });

    test('a key deleted or an environment deleted by another server instance on the same database is refused on the next request here', async () => {
      const other = await buildApp({ db: api.testDb.db, clock: api.clock });
      try {
        const key = await newServerKey('shared');
        // This instance remembers both keys...
        expect((await sdkOp(api, 'getSdkFlags', key.key)).status).toBe(200);
        expect(await api.built.services.auth.resolveEnvironmentKey(key.key)).toMatchObject({ environmentId: env.environmentId, isServerKey: true });
        // ...the other one deletes the server-side key...
        const removed = await other.app.inject({ method: 'DELETE', url: `/api/v1/environments/${env.clientKey}/api-keys/${key.id}/`, headers: { authorization: api.adminToken } });
        expect(removed.statusCode).toBe(204);
        expect((await sdkOp(api, 'getSdkFlags', key.key)).status).toBe(401);
        expect(await api.built.services.auth.resolveEnvironmentKey(key.key)).toBeUndefined();

        // ...and a whole environment, whose client-side and server-side keys this instance had in use.
        const doomed = await createSdkEnvironment(api, 'Doomed');
        expect((await sdkOp(api, 'getSdkFlags', doomed.clientKey)).status).toBe(200);
        expect((await sdkOp(api, 'getEnvironmentDocument', doomed.serverKey)).status).toBe(200);
        expect(await api.built.services.auth.resolveEnvironmentKey(doomed.clientKey)).toMatchObject({ environmentId: doomed.environmentId });
        const deleted = await other.app.inject({ method: 'DELETE', url: `/api/v1/environments/${doomed.clientKey}/`, headers: { authorization: api.adminToken } });
        expect(deleted.statusCode).toBe(204);
        expect((await sdkOp(api, 'getSdkFlags', doomed.clientKey)).status).toBe(401);
        expect((await sdkOp(api, 'getEnvironmentDocument', doomed.serverKey)).status).toBe(401);
        expect(await api.built.services.auth.resolveEnvironmentKey(doomed.clientKey)).toBeUndefined();
      } finally {
        await other.services.jobs.stop();
        await other.app.close();
      }
    });
  });

  describe('GET /api/v1/environment-document/', () => {
    test('answers the whole document for local evaluation, with identity overrides', async () => {
      const r = await sdkOp(api, 'getEnvironmentDocument', env.serverKey);
      expect(r.status).toBe(200);
      expect(Value.Check(EnvironmentDocumentSchema, r.body), JSON.stringify([...Value.Errors(EnvironmentDocumentSchema, r.body)].slice(0, 3))).toBe(true);
      const doc = r.body;
      expect(doc).toMatchObject({ id: env.environmentId, api_key: env.clientKey, name: 'Production', use_identity_composite_key_for_hashing: true, allow_client_traits: true });
      expect(doc.project).toMatchObject({ id: env.projectId, hide_disabled_flags: false, server_key_only_feature_ids: [features.secret], organisation: { id: api.organisationId, stop_serving_flags: false, persist_trait_data: true } });
      expect(doc.feature_states.map((fs: { feature: { name: string } }) => fs.feature.name)).toEqual(['banner', 'limit', 'dark_mode', 'secret', 'checkout']);
      const power = doc.project.segments.find((s: { name: string }) => s.name === 'power users');
      expect(power.rules).toEqual([{ type: 'ALL', rules: [{ type: 'ANY', rules: [], conditions: [{ operator: 'GREATER_THAN_INCLUSIVE', property_: 'orders', value: '10' }] }], conditions: [] }]);
      expect(power.feature_states).toEqual([expect.objectContaining({ feature: { id: features.banner, name: 'banner', type: 'STANDARD' }, enabled: true, feature_state_value: 'power banner', feature_segment: { priority: 0 } })]);
      const vip = doc.identity_overrides.find((i: { identifier: string }) => i.identifier === 'vip');
      expect(vip).toMatchObject({ environment_api_key: env.clientKey, identity_features: [expect.objectContaining({ feature_state_value: 'just for you', enabled: true })], identity_traits: [{ trait_key: 'orders', trait_value: 99 }] });
      const checkout = doc.feature_states.find((fs: { feature: { name: string } }) => fs.feature.name === 'checkout');
      expect(checkout.multivariate_feature_state_values.map((v: { multivariate_feature_option: { value: unknown }; percentage_allocation: number }) => [v.multivariate_feature_option.value, v.percentage_allocation])).toEqual([
        ['variant-a', 30],
        ['variant-b', 30],
      ]);
    });

    test('403 for a client-side key, 401 without a key', async () => {
      const r = await sdkOp(api, 'getEnvironmentDocument', env.clientKey);
      expect(r.status).toBe(403);
      expect(r.body.code).toBe('PERMISSION_DENIED');
      expect((await api.op('getEnvironmentDocument', { auth: '' })).status).toBe(401);
    });

    test('answers 304 without a body for the current ETag, and a new ETag after a write', async () => {
      const first = await sdkOp(api, 'getEnvironmentDocument', env.serverKey);
      const etag = first.headers.etag as string;
      expect(etag).toMatch(new RegExp(`^"${env.environmentId}-\\d+-`));
      const cached = await sdkOp(api, 'getEnvironmentDocument', env.serverKey, { headers: { 'if-none-match': etag } });
      expect(cached.status).toBe(304);
      expect(cached.body).toBe('');
      expect(cached.headers.etag).toBe(etag);

      await setEnvironmentDefault(api, env, features.limit!, { value: 20 });
      const changed = await sdkOp(api, 'getEnvironmentDocument', env.serverKey, { headers: { 'if-none-match': etag } });
      expect(changed.status).toBe(200);
      expect(changed.headers.etag).not.toBe(etag);
      expect(changed.body.feature_states.find((fs: { feature: { name: string } }) => fs.feature.name === 'limit').feature_state_value).toBe(20);
    });

    test('rebuilds when another server instance bumped the revision in the shared database', async () => {
      const before = await sdkOp(api, 'getEnvironmentDocument', env.serverKey);
      // Another instance's write: rows and revision change without this process being told.
      await k().updateTable('environments').set({ name: 'Live' }).where('id', '=', env.environmentId).execute();
      expect((await sdkOp(api, 'getEnvironmentDocument', env.serverKey, { headers: { 'if-none-match': before.headers.etag as string } })).status).toBe(304);
      await k().updateTable('environments').set((eb) => ({ document_revision: eb('document_revision', '+', 1) })).where('id', '=', env.environmentId).execute();
      const after = await sdkOp(api, 'getEnvironmentDocument', env.serverKey, { headers: { 'if-none-match': before.headers.etag as string } });
      expect(after.status).toBe(200);
      expect(after.body.name).toBe('Live');
      await k().updateTable('environments').set({ name: 'Production' }).where('id', '=', env.environmentId).execute();
      await k().updateTable('environments').set((eb) => ({ document_revision: eb('document_revision', '+', 1) })).where('id', '=', env.environmentId).execute();
    });

    test('a scheduled feature state is served from its live_from on, without a revision bump', async () => {
      const defaultState = await k()
        .selectFrom('feature_states')
        .selectAll()
        .where('environment_id', '=', env.environmentId)
        .where('feature_id', '=', features.dark_mode!)
        .where('identity_id', 'is', null)
        .where('feature_segment_id', 'is', null)
        .executeTakeFirstOrThrow();
      const liveFrom = new Date(api.clock.now().getTime() + 60_000).toISOString();
      await api.testDb.db.transaction(async (trx) => {
        await trx
          .insertInto('feature_states')
          .values({
            uuid: generateUuid(),
            feature_id: defaultState.feature_id,
            environment_id: defaultState.environment_id,
            identity_id: null,
            feature_segment_id: null,
            enabled: true,
            value_type: defaultState.value_type,
            string_value: defaultState.string_value,
            integer_value: defaultState.integer_value,
            boolean_value: defaultState.boolean_value === null ? null : Boolean(defaultState.boolean_value),
            version: (defaultState.version ?? 1) + 1,
            live_from: liveFrom,
            environment_feature_version_uuid: null,
            created_at: defaultState.created_at,
            updated_at: defaultState.updated_at,
          })
          .execute();
        await trx.updateTable('environments').set((eb) => ({ document_revision: eb('document_revision', '+', 1) })).where('id', '=', env.environmentId).execute();
      });
      const darkMode = async () => byName((await sdkOp<Flag[]>(api, 'getSdkFlags', env.serverKey)).body).dark_mode;
      expect(await darkMode()).toEqual({ enabled: false, value: true });
      api.clock.advanceMs(61_000);
      expect(await darkMode()).toEqual({ enabled: true, value: true });
    });
  });
});
