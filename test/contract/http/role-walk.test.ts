/**
 * The role walk: every route of the route table, called by every kind of caller, answers allow or deny as
 * the permission model says. Module contract tests check each route's behaviour in depth; this one checks
 * that no route forgot its authorisation, across the whole API at once.
 *
 * Callers (organisation A unless said otherwise):
 * - `orgAdmin`: organisation admin;
 * - `projectAdmin`: plain member with project admin on project P;
 * - `envAdmin`: plain member with VIEW_PROJECT on P and environment admin on environment E;
 * - `viewer`: plain member with VIEW_PROJECT on P and VIEW_ENVIRONMENT on E;
 * - `member`: plain member with no grants;
 * - `rival`: admin of another organisation;
 * - `anonymous`: no credentials.
 *
 * Allowed means a 2xx answer (or the statuses a case lists, e.g. a state precondition); denied means 403
 * where the caller can see the object and 404 where it cannot (tenants are isolated by 404); anonymous
 * callers get 401. Each call gets fresh objects where it would consume them (deletes, one-per-user grants).
 */
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { sql } from 'kysely';
import { routeTable, type OperationId } from '../../../src-shared/contracts/http/route-table.js';
import { TestApi, type CallOptions } from '../../support/api-harness.js';
import { DIALECTS } from '../../support/databases.js';
import { addMember, createEnvironment, createProject, otherOrganisation, type TestUser } from '../../support/tenancy.js';
import { eventsFixtures } from '../../support/events-fixtures.js';
import { enableV2, insertEnvironmentDefault, insertFeature, insertSegment } from '../../support/versions-fixtures.js';

const ROLES = ['orgAdmin', 'projectAdmin', 'envAdmin', 'viewer', 'member', 'rival', 'anonymous'] as const;
type Role = (typeof ROLES)[number];

/** What a route requires. Project / environment permissions use Flagsmith's keys, or ADMIN. */
type Need =
  | { kind: 'public' }
  | { kind: 'signedIn' }
  | { kind: 'orgMember' }
  | { kind: 'orgAdmin' }
  | { kind: 'project'; perm: string }
  | { kind: 'env'; perm: string }
  /** SDK routes: the environment key is the credential, whoever sends it; without one, 401. */
  | { kind: 'sdk' };

type Outcome = 'allow' | 401 | 403 | 404 | 400;

interface World {
  api: TestApi;
  /** A server-side key of the walk's environment (`ser.…`), for the environment document. */
  serverKey: string;
  users: Record<Exclude<Role, 'anonymous' | 'orgAdmin' | 'rival'>, TestUser>;
  rival: { organisationId: number; admin: TestUser };
  org: number;
  project: number;
  env: { id: number; api_key: string };
  unique(prefix: string): string;
}

interface WalkCase {
  need: Need;
  /** Params, query and body of one call; called once per caller, so it may create fresh objects. */
  call: (w: World, role: Role) => Promise<CallOptions> | CallOptions;
  /** Deviations from the outcome the need implies, e.g. a body reference that is a 400 for another tenant. */
  expect?: Partial<Record<Role, Outcome>>;
  /** Statuses besides 2xx that still mean "authorised" (a state precondition checked after authorisation). */
  allowStatuses?: number[];
}

const VIEW_PROJECT = 'VIEW_PROJECT';
const VIEW_ENVIRONMENT = 'VIEW_ENVIRONMENT';

/** The outcome the permission model gives a caller for a need. */
function expectedOutcome(need: Need, role: Role): Outcome {
  if (need.kind === 'public') return 'allow';
  if (role === 'anonymous') return 401;
  if (need.kind === 'signedIn' || need.kind === 'sdk') return 'allow';
  if (role === 'rival') return 404;
  if (role === 'orgAdmin') return 'allow';
  if (need.kind === 'orgMember') return 'allow';
  if (need.kind === 'orgAdmin') return 403;
  if (role === 'member') return 404;
  if (role === 'projectAdmin') return 'allow';
  if (need.kind === 'project') return need.perm === VIEW_PROJECT ? 'allow' : 403;
  if (role === 'envAdmin') return 'allow';
  return need.perm === VIEW_ENVIRONMENT ? 'allow' : 403;
}

const P = (perm: string): Need => ({ kind: 'project', perm });
const E = (perm: string): Need => ({ kind: 'env', perm });
const ORG_ADMIN: Need = { kind: 'orgAdmin' };

// ---- builders of fresh objects, made by the organisation admin ------------------------------------

async function ok<T = any>(w: World, op: OperationId, options: CallOptions): Promise<T> {
  const r = await w.api.op<T>(op, options);
  if (r.status >= 300) throw new Error(`${op} failed while arranging the walk: ${r.status} ${JSON.stringify(r.body)}`);
  return r.body;
}
const freshUser = (w: World) => ok<{ id: number }>(w, 'createOrganisationUser', { params: { organisation_pk: w.org }, body: { email: `${w.unique('u')}@example.com`, password: 'member-password' } });
const freshProject = (w: World) => ok<{ id: number }>(w, 'createProject', { body: { name: w.unique('project'), organisation: w.org } });
const freshEnvironment = (w: World) => ok<{ api_key: string }>(w, 'createEnvironment', { body: { name: w.unique('env'), project: w.project } });
// Disabled: the walk only calls the webhook routes, and enabled webhooks piling up (one per caller and
// case) would fan every later write out to all of them, slowing the rest of the walk from seconds to minutes.
const freshEnvWebhook = (w: World) => ok<{ id: number }>(w, 'createEnvironmentWebhook', { params: { api_key: w.env.api_key }, body: { url: 'http://127.0.0.1:9/hook', enabled: false } });
const freshOrgWebhook = (w: World) => ok<{ id: number }>(w, 'createOrganisationWebhook', { params: { organisation_pk: w.org }, body: { url: 'http://127.0.0.1:9/hook', enabled: false } });
/** A fresh environment of P where envAdmin and viewer hold the same grants as on E (enabling v2 consumes one). */
async function freshGrantedEnvironment(w: World): Promise<{ api_key: string }> {
  const env = await freshEnvironment(w);
  for (const [name, u] of Object.entries(w.users)) {
    if (name === 'member' || name === 'projectAdmin') continue;
    await ok(w, 'createEnvironmentUserPermission', { params: { api_key: env.api_key }, body: { user: u.id, permissions: [VIEW_ENVIRONMENT], admin: name === 'envAdmin' } });
  }
  return env;
}

const SEGMENT_RULES = [{ type: 'ALL', rules: [{ type: 'ANY', conditions: [{ operator: 'EQUAL', property: 'plan', value: 'pro' }] }] }];
const freshSegment = (w: World) => ok<{ id: number }>(w, 'createSegment', { params: { project_pk: w.project }, body: { name: w.unique('walk-segment'), rules: SEGMENT_RULES } });
const freshFeature = (w: World) =>
  ok<{ id: number; multivariate_options: { id: number }[] }>(w, 'createFeature', {
    params: { project_pk: w.project },
    body: { name: w.unique('walk-feature'), multivariate_options: [{ string_value: 'variant', default_percentage_allocation: 10 }] },
  });
/** The environment default of a fresh feature in the walk's environment. */
async function freshDefaultState(w: World): Promise<{ id: number; feature: number }> {
  const f = await freshFeature(w);
  const r = await ok<{ results: { id: number; feature: number }[] }>(w, 'listEnvironmentFeatureStates', { params: { environment_api_key: w.env.api_key }, query: { feature: f.id } });
  return r.results[0]!;
}
async function freshFeatureSegment(w: World): Promise<{ id: number; feature: number; segment: number; environment: number }> {
  const feature = await freshFeature(w);
  const segment = await freshSegment(w);
  return ok(w, 'createFeatureSegment', { body: { feature: feature.id, segment: segment.id, environment: w.env.id } });
}
async function freshOverrideState(w: World): Promise<number> {
  const fs = await freshFeatureSegment(w);
  return (await ok<{ id: number }>(w, 'createFeatureState', { body: { feature: fs.feature, environment: w.env.id, feature_segment: fs.id } })).id;
}
const freshIdentity = (w: World) => ok<{ id: number }>(w, 'createIdentity', { params: { environment_api_key: w.env.api_key }, body: { identifier: w.unique('walk-user') } });
async function freshTrait(w: World): Promise<{ identity: number; id: number }> {
  const identity = await freshIdentity(w);
  const trait = await ok<{ id: number }>(w, 'createIdentityTrait', { params: { environment_api_key: w.env.api_key, identity_pk: identity.id }, body: { trait_key: 'plan', trait_value: 'pro' } });
  return { identity: identity.id, id: trait.id };
}
async function freshIdentityOverride(w: World): Promise<{ identity: number; id: number }> {
  const identity = await freshIdentity(w);
  const feature = await freshFeature(w);
  const override = await ok<{ id: number }>(w, 'createIdentityFeatureState', { params: { environment_api_key: w.env.api_key, identity_pk: identity.id }, body: { feature: feature.id, enabled: true } });
  return { identity: identity.id, id: override.id };
}

/** The SDK credential header; anonymous callers send none. */
const sdkKey = (role: Role, key: string): Record<string, string> => (role === 'anonymous' ? {} : { 'x-environment-key': key });

/** An organisation of A's admin where every plain caller of the walk is a member, so denials are 403, not 404. */
async function freshOrganisation(w: World): Promise<number> {
  const org = await ok<{ id: number }>(w, 'createOrganisation', { body: { name: w.unique('org') } });
  for (const u of Object.values(w.users)) await ok(w, 'createOrganisationUser', { params: { organisation_pk: org.id }, body: { email: u.email } });
  return org.id;
}

/** A grant for a fresh user, on the walk's project or environment. */
async function freshProjectGrant(w: World): Promise<{ id: number; user: number }> {
  const u = await freshUser(w);
  return ok(w, 'createProjectUserPermission', { params: { project_pk: w.project }, body: { user: u.id, permissions: [VIEW_PROJECT] } });
}
async function freshEnvGrant(w: World): Promise<{ id: number; user: number }> {
  const u = await freshUser(w);
  return ok(w, 'createEnvironmentUserPermission', { params: { api_key: w.env.api_key }, body: { user: u.id, permissions: [VIEW_ENVIRONMENT] } });
}

/** A webhook delivery of the walk's environment webhook, written with its event row as the outbox would. */
async function pendingDelivery(w: World, webhookId: number): Promise<number> {
  const deliveries = await ok<{ results: { id: number }[] }>(w, 'listEnvironmentWebhookDeliveries', { params: { api_key: w.env.api_key, id: webhookId } });
  if (deliveries.results[0]) return deliveries.results[0].id;
  const k = w.api.testDb.db.kysely;
  const now = w.api.clock.now().toISOString();
  // Take the next sequence of the environment as the outbox does, so later real events do not collide.
  const { event_sequence: sequence } = await k
    .updateTable('environments')
    .set({ event_sequence: sql`event_sequence + 1` })
    .where('id', '=', w.env.id)
    .returning('event_sequence')
    .executeTakeFirstOrThrow();
  const event = await k
    .insertInto('events')
    .values({ uuid: w.unique('event'), event_type: 'FLAG_UPDATED', organisation_id: w.org, environment_id: w.env.id, data_json: '{}', created_at: now })
    .returning('id')
    .executeTakeFirstOrThrow();
  const delivery = await k
    .insertInto('webhook_deliveries')
    .values({
      uuid: w.unique('delivery'), event_id: event.id, webhook_id: webhookId, sequence, idempotency_key: w.unique('key'), status: 'dead', attempts: 5, max_attempts: 5,
      next_attempt_at: now, locked_by: null, locked_until: null, last_status_code: 500, last_error: null, created_at: now, updated_at: now, completed_at: now,
    })
    .returning('id')
    .executeTakeFirstOrThrow();
  return delivery.id;
}

// ---- feature versions (v2): a v2 environment of P with the same grants as E ---------------------------

const v2Walks = new WeakMap<World, Promise<{ env: number; feature: number; segment: number }>>();
/** A v2 environment of the walk's project (envAdmin is its admin, viewer may view it) with one feature. */
function v2Walk(w: World): Promise<{ env: number; feature: number; segment: number }> {
  let walk = v2Walks.get(w);
  if (!walk) {
    walk = (async () => {
      const env = await ok<{ id: number; api_key: string }>(w, 'createEnvironment', { body: { name: w.unique('v2-env'), project: w.project } });
      await ok(w, 'createEnvironmentUserPermission', { params: { api_key: env.api_key }, body: { user: w.users.envAdmin.id, permissions: [], admin: true } });
      await ok(w, 'createEnvironmentUserPermission', { params: { api_key: env.api_key }, body: { user: w.users.viewer.id, permissions: [VIEW_ENVIRONMENT] } });
      const feature = await insertFeature(w.api, w.project);
      await insertEnvironmentDefault(w.api, env.id, feature.id);
      const segment = await insertSegment(w.api, w.project, w.unique('v2-segment'));
      await enableV2(w.api, env.id);
      return { env: env.id, feature: feature.id, segment };
    })();
    v2Walks.set(w, walk);
  }
  return walk;
}
async function v2Params(w: World, extra: Record<string, string | number> = {}): Promise<Record<string, string | number>> {
  const v = await v2Walk(w);
  return { environment_pk: v.env, feature_pk: v.feature, ...extra };
}
/** A fresh draft with an override; returns its uuid and the ids of its default and override states. */
async function freshDraft(w: World): Promise<{ uuid: string; defaultState: number; override: number }> {
  const v = await v2Walk(w);
  const params = await v2Params(w);
  const d = await ok<{ uuid: string }>(w, 'createFeatureVersion', { params, body: {} });
  let states = await ok<{ id: number; feature_segment: unknown }[]>(w, 'listFeatureVersionFeatureStates', { params: { ...params, uuid: d.uuid } });
  // Earlier walk steps may have published the override already; the draft then has it from the live version.
  if (states.length === 1) {
    await ok(w, 'createFeatureVersionFeatureState', { params: { ...params, uuid: d.uuid }, body: { feature_segment: { segment: v.segment }, enabled: true } });
    states = await ok(w, 'listFeatureVersionFeatureStates', { params: { ...params, uuid: d.uuid } });
  }
  return { uuid: d.uuid, defaultState: states.find((s) => s.feature_segment === null)!.id, override: states.find((s) => s.feature_segment !== null)!.id };
}
async function liveV2(w: World): Promise<string> {
  const v = await v2Walk(w);
  return (await w.api.built.services.versions.liveVersionUuids(v.env)).get(v.feature)!;
}

// ---- release pipelines (issue 5): two stages on the walk's v2 environment, fresh features ----------

/** A fresh pipeline with two stages on the walk's v2 environment; with `withFeature`, a fresh feature in its first stage. */
async function freshPipeline(w: World, withFeature = false): Promise<{ id: number; stages: number[]; feature: number; live: string }> {
  const v = await v2Walk(w);
  const stages = [{ name: 'rp-one', environment: v.env }, { name: 'rp-two', environment: v.env }];
  const p = await ok<{ id: number; stages: { id: number }[] }>(w, 'createReleasePipeline', { params: { project_pk: w.project }, body: { name: w.unique('rp-pipeline'), stages } });
  const feature = (await insertFeature(w.api, w.project, { name: w.unique('rp-feature') })).id;
  if (withFeature) await ok(w, 'addFeatureToReleasePipeline', { params: { project_pk: w.project, id: p.id }, body: { feature_id: feature } });
  const live = withFeature ? ((await w.api.built.services.versions.liveVersionUuids(v.env)).get(feature) ?? '') : '';
  return { id: p.id, stages: p.stages.map((s) => s.id), feature, live };
}
const rpWalks = new WeakMap<World, ReturnType<typeof freshPipeline>>();
/** One pipeline (with a feature in stage 1) shared by the read-only and repeatable steps of the walk. */
function rpWalk(w: World): ReturnType<typeof freshPipeline> {
  let walk = rpWalks.get(w);
  if (!walk) {
    walk = freshPipeline(w, true);
    rpWalks.set(w, walk);
  }
  return walk;
}

// ---- change requests (issue 5): a v2 environment of P with the same grants as E --------------------

const crWalks = new WeakMap<World, Promise<{ env: { id: number; api_key: string }; feature: number }>>();
/** A v2 environment of the walk's project for change requests (envAdmin is its admin, viewer may view it). */
function crWalk(w: World): Promise<{ env: { id: number; api_key: string }; feature: number }> {
  let walk = crWalks.get(w);
  if (!walk) {
    walk = (async () => {
      const env = await ok<{ id: number; api_key: string }>(w, 'createEnvironment', { body: { name: w.unique('cr-env'), project: w.project } });
      await ok(w, 'createEnvironmentUserPermission', { params: { api_key: env.api_key }, body: { user: w.users.envAdmin.id, permissions: [], admin: true } });
      await ok(w, 'createEnvironmentUserPermission', { params: { api_key: env.api_key }, body: { user: w.users.viewer.id, permissions: [VIEW_ENVIRONMENT] } });
      const feature = await insertFeature(w.api, w.project, { name: w.unique('cr-feature') });
      await insertEnvironmentDefault(w.api, env.id, feature.id);
      await enableV2(w.api, env.id);
      return { env, feature: feature.id };
    })();
    crWalks.set(w, walk);
  }
  return walk;
}
async function crBody(w: World): Promise<Record<string, unknown>> {
  const c = await crWalk(w);
  return { title: w.unique('cr-walk'), change_sets: [{ feature: c.feature, feature_states_to_update: [{ feature_segment: null, enabled: true }] }] };
}
/** A fresh change request by the organisation admin, made from what is live now. */
async function freshChangeRequest(w: World): Promise<number> {
  const c = await crWalk(w);
  return (await ok<{ id: number }>(w, 'createChangeRequest', { params: { api_key: c.env.api_key }, body: await crBody(w) })).id;
}

/** A fresh change request by the organisation admin, committed (its change is live). */
async function freshCommittedChangeRequest(w: World): Promise<number> {
  const id = await freshChangeRequest(w);
  await ok(w, 'commitChangeRequest', { params: { id } });
  return id;
}

/** A finished impact preview of a fresh draft, started by the organisation admin. */
async function freshImpactPreview(w: World): Promise<string> {
  return (await ok<{ id: string }>(w, 'previewFeatureVersionImpact', { params: await v2Params(w, { uuid: (await freshDraft(w)).uuid }), body: { wait_ms: 20000 } })).id;
}

// ---- every route ---------------------------------------------------------------------------------

const cases: Record<OperationId, WalkCase> = {
  listFeatureVersions: { need: E(VIEW_ENVIRONMENT), call: async (w) => ({ params: await v2Params(w) }) },
  createFeatureVersion: { need: E('UPDATE_FEATURE_STATE'), call: async (w) => ({ params: await v2Params(w), body: {} }) },
  getFeatureVersion: { need: E(VIEW_ENVIRONMENT), call: async (w) => ({ params: await v2Params(w, { uuid: await liveV2(w) }) }) },
  deleteFeatureVersion: { need: E('UPDATE_FEATURE_STATE'), call: async (w) => ({ params: await v2Params(w, { uuid: (await freshDraft(w)).uuid }) }) },
  publishFeatureVersion: { need: E('UPDATE_FEATURE_STATE'), call: async (w) => ({ params: await v2Params(w, { uuid: (await freshDraft(w)).uuid }), body: {} }) },
  restoreFeatureVersion: { need: E('UPDATE_FEATURE_STATE'), call: async (w) => ({ params: await v2Params(w, { uuid: await liveV2(w) }), body: {} }) },
  getFeatureVersionDiff: { need: E(VIEW_ENVIRONMENT), call: async (w) => ({ params: await v2Params(w, { uuid: await liveV2(w) }) }) },
  listFeatureVersionFeatureStates: { need: E(VIEW_ENVIRONMENT), call: async (w) => ({ params: await v2Params(w, { uuid: await liveV2(w) }) }) },
  createFeatureVersionFeatureState: {
    need: E('UPDATE_FEATURE_STATE'),
    call: async (w) => {
      const d = await freshDraft(w);
      await ok(w, 'deleteFeatureVersionFeatureState', { params: await v2Params(w, { uuid: d.uuid, id: d.override }) });
      return { params: await v2Params(w, { uuid: d.uuid }), body: { feature_segment: { segment: (await v2Walk(w)).segment }, enabled: true } };
    },
  },
  getFeatureVersionFeatureState: {
    need: E(VIEW_ENVIRONMENT),
    call: async (w) => {
      const d = await freshDraft(w);
      return { params: await v2Params(w, { uuid: d.uuid, id: d.defaultState }) };
    },
  },
  updateFeatureVersionFeatureState: {
    need: E('UPDATE_FEATURE_STATE'),
    call: async (w) => {
      const d = await freshDraft(w);
      return { params: await v2Params(w, { uuid: d.uuid, id: d.defaultState }), body: { enabled: true } };
    },
  },
  partialUpdateFeatureVersionFeatureState: {
    need: E('UPDATE_FEATURE_STATE'),
    call: async (w) => {
      const d = await freshDraft(w);
      return { params: await v2Params(w, { uuid: d.uuid, id: d.defaultState }), body: { enabled: true } };
    },
  },
  deleteFeatureVersionFeatureState: {
    need: E('UPDATE_FEATURE_STATE'),
    call: async (w) => {
      const d = await freshDraft(w);
      return { params: await v2Params(w, { uuid: d.uuid, id: d.override }) };
    },
  },
  getEnvironmentFeatureVersion: { need: E(VIEW_ENVIRONMENT), call: async (w) => ({ params: { uuid: await liveV2(w) } }) },
  listReleasePipelines: { need: P(VIEW_PROJECT), call: (w) => ({ params: { project_pk: w.project } }) },
  createReleasePipeline: {
    need: P('ADMIN'),
    call: async (w) => ({ params: { project_pk: w.project }, body: { name: w.unique('rp-created'), stages: [{ name: 'rp-stage', environment: (await v2Walk(w)).env }] } }),
  },
  getReleasePipeline: { need: P(VIEW_PROJECT), call: async (w) => ({ params: { project_pk: w.project, id: (await rpWalk(w)).id } }) },
  updateReleasePipeline: { need: P('ADMIN'), call: async (w) => ({ params: { project_pk: w.project, id: (await rpWalk(w)).id }, body: { name: w.unique('rp-renamed') } }) },
  deleteReleasePipeline: { need: P('ADMIN'), call: async (w) => ({ params: { project_pk: w.project, id: (await freshPipeline(w)).id } }) },
  publishReleasePipeline: { need: P('ADMIN'), call: async (w) => ({ params: { project_pk: w.project, id: (await freshPipeline(w)).id } }) },
  listReleasePipelineStages: { need: P(VIEW_PROJECT), call: async (w) => ({ params: { project_pk: w.project, pipeline_pk: (await rpWalk(w)).id } }) },
  createReleasePipelineStage: {
    need: P('ADMIN'),
    call: async (w) => ({ params: { project_pk: w.project, pipeline_pk: (await rpWalk(w)).id }, body: { name: w.unique('rp-stage'), environment: (await v2Walk(w)).env } }),
  },
  getReleasePipelineStage: { need: P(VIEW_PROJECT), call: async (w) => ({ params: { project_pk: w.project, pipeline_pk: (await rpWalk(w)).id, id: (await rpWalk(w)).stages[1]! } }) },
  updateReleasePipelineStage: {
    need: P('ADMIN'),
    call: async (w) => ({ params: { project_pk: w.project, pipeline_pk: (await rpWalk(w)).id, id: (await rpWalk(w)).stages[1]! }, body: { name: 'rp-two', environment: (await v2Walk(w)).env } }),
  },
  deleteReleasePipelineStage: {
    need: P('ADMIN'),
    call: async (w) => {
      const p = await freshPipeline(w);
      return { params: { project_pk: w.project, pipeline_pk: p.id, id: p.stages[1]! } };
    },
  },
  addFeatureToReleasePipeline: {
    need: P('ADMIN'),
    call: async (w) => {
      const p = await freshPipeline(w);
      return { params: { project_pk: w.project, id: p.id }, body: { feature_id: p.feature } };
    },
  },
  removeFeatureFromReleasePipeline: {
    need: P('ADMIN'),
    call: async (w) => {
      const p = await freshPipeline(w, true);
      return { params: { project_pk: w.project, id: p.id }, body: { feature_id: p.feature } };
    },
  },
  previewReleasePipelinePromotion: {
    need: E(VIEW_ENVIRONMENT),
    call: async (w) => {
      const p = await rpWalk(w);
      return { params: { project_pk: w.project, id: p.id }, query: { feature_id: p.feature, version_uuid: p.live } };
    },
  },
  promoteReleasePipelineFeature: {
    need: E('UPDATE_FEATURE_STATE'),
    call: async (w) => {
      const p = await freshPipeline(w, true);
      return { params: { project_pk: w.project, id: p.id }, body: { feature_id: p.feature, version_uuid: p.live } };
    },
  },
  createChangeRequest: { need: E('CREATE_CHANGE_REQUEST'), call: async (w) => ({ params: { api_key: (await crWalk(w)).env.api_key }, body: await crBody(w) }) },
  listChangeRequests: { need: E(VIEW_ENVIRONMENT), call: async (w) => ({ query: { environment: (await crWalk(w)).env.id } }) },
  listEnvironmentChangeRequests: { need: E(VIEW_ENVIRONMENT), call: async (w) => ({ params: { api_key: (await crWalk(w)).env.api_key } }) },
  getChangeRequest: { need: E(VIEW_ENVIRONMENT), call: async (w) => ({ params: { id: await freshChangeRequest(w) } }) },
  getChangeRequestDiff: { need: E(VIEW_ENVIRONMENT), call: async (w) => ({ params: { id: await freshChangeRequest(w) } }) },
  // The organisation admin made these requests: as their author it may edit them; others need UPDATE_FEATURE_STATE.
  updateChangeRequest: { need: E('UPDATE_FEATURE_STATE'), call: async (w) => ({ params: { id: await freshChangeRequest(w) }, body: { title: w.unique('cr-put') } }) },
  partialUpdateChangeRequest: { need: E('UPDATE_FEATURE_STATE'), call: async (w) => ({ params: { id: await freshChangeRequest(w) }, body: { title: w.unique('cr-patch') } }) },
  deleteChangeRequest: { need: E('UPDATE_FEATURE_STATE'), call: async (w) => ({ params: { id: await freshChangeRequest(w) } }) },
  // Authors never approve their own request: 400 for the organisation admin who made it.
  approveChangeRequest: { need: E('APPROVE_CHANGE_REQUEST'), call: async (w) => ({ params: { id: await freshChangeRequest(w) } }), expect: { orgAdmin: 400 } },
  commitChangeRequest: { need: E('UPDATE_FEATURE_STATE'), call: async (w) => ({ params: { id: await freshChangeRequest(w) } }) },
  // A fresh request is based on the live version: 400 NOTHING_TO_REBASE once authorised.
  rebaseChangeRequest: { need: E('UPDATE_FEATURE_STATE'), call: async (w) => ({ params: { id: await freshChangeRequest(w) } }), allowStatuses: [400] },

  previewFeatureVersionImpact: { need: E(VIEW_ENVIRONMENT), call: async (w) => ({ params: await v2Params(w, { uuid: (await freshDraft(w)).uuid }), body: { wait_ms: 20000 } }) },
  previewChangeRequestImpact: { need: E(VIEW_ENVIRONMENT), call: async (w) => ({ params: { id: await freshChangeRequest(w) }, body: { wait_ms: 20000 } }) },
  getImpactPreview: { need: E(VIEW_ENVIRONMENT), call: async (w) => ({ params: { id: await freshImpactPreview(w) } }) },
  cancelImpactPreview: { need: E(VIEW_ENVIRONMENT), call: async (w) => ({ params: { id: await freshImpactPreview(w) } }) },
  revertChangeRequest: { need: E('UPDATE_FEATURE_STATE'), call: async (w) => ({ params: { id: await freshCommittedChangeRequest(w) }, body: {} }) },

  getHealth: { need: { kind: 'public' }, call: () => ({}) },
  getReadiness: { need: { kind: 'public' }, call: () => ({}) },
  // Loopback callers (inject's default address) read metrics without a token.
  getMetrics: { need: { kind: 'public' }, call: () => ({}) },
  login: { need: { kind: 'public' }, call: () => ({ body: { email: 'admin@example.com', password: 'admin-password' } }) },
  getFirstRunStatus: { need: { kind: 'public' }, call: () => ({}) },
  // The walk's server has users: refused (400) for every caller, signed in or not.
  createFirstAdmin: { need: { kind: 'public' }, call: (w) => ({ body: { email: `${w.unique('first')}@example.com`, password: 'a long password', organisation_name: 'Second' } }), allowStatuses: [400] },
  logout: { need: { kind: 'signedIn' }, call: () => ({}) },
  getCurrentUser: { need: { kind: 'signedIn' }, call: () => ({}) },

  listOrganisations: { need: { kind: 'signedIn' }, call: () => ({}) },
  createOrganisation: { need: { kind: 'signedIn' }, call: (w) => ({ body: { name: w.unique('org') } }) },
  getOrganisation: { need: { kind: 'orgMember' }, call: (w) => ({ params: { id: w.org } }) },
  updateOrganisation: { need: ORG_ADMIN, call: (w) => ({ params: { id: w.org }, body: { name: 'Acme' } }) },
  partialUpdateOrganisation: { need: ORG_ADMIN, call: (w) => ({ params: { id: w.org }, body: { persist_trait_data: true } }) },
  deleteOrganisation: { need: ORG_ADMIN, call: async (w) => ({ params: { id: await freshOrganisation(w) } }) },
  updateOrganisationPlanLimits: { need: ORG_ADMIN, call: (w) => ({ params: { id: w.org }, body: { max_segment_overrides_per_environment: 100 } }) },
  listOrganisationUsers: { need: { kind: 'orgMember' }, call: (w) => ({ params: { organisation_pk: w.org } }) },
  createOrganisationUser: { need: ORG_ADMIN, call: (w) => ({ params: { organisation_pk: w.org }, body: { email: `${w.unique('new')}@example.com`, password: 'member-password' } }) },
  updateOrganisationUserRole: { need: ORG_ADMIN, call: async (w) => ({ params: { organisation_pk: w.org, user_id: (await freshUser(w)).id }, body: { role: 'USER' } }) },
  removeOrganisationUsers: { need: ORG_ADMIN, call: async (w) => ({ params: { id: w.org }, body: [{ id: (await freshUser(w)).id }] }) },
  listOrganisationApiKeys: { need: ORG_ADMIN, call: (w) => ({ params: { organisation_pk: w.org } }) },
  createOrganisationApiKey: { need: ORG_ADMIN, call: (w) => ({ params: { organisation_pk: w.org }, body: { name: 'ci' } }) },
  revokeOrganisationApiKey: {
    need: ORG_ADMIN,
    call: async (w) => ({ params: { organisation_pk: w.org, prefix: (await ok<{ prefix: string }>(w, 'createOrganisationApiKey', { params: { organisation_pk: w.org }, body: { name: 'doomed' } })).prefix } }),
  },
  listOrganisationEmails: { need: ORG_ADMIN, call: (w) => ({ params: { organisation_pk: w.org } }) },

  listAuditLogs: { need: { kind: 'signedIn' }, call: () => ({}) },
  getAuditLog: {
    need: ORG_ADMIN,
    call: async (w) => ({ params: { id: (await ok<{ results: { id: number }[] }>(w, 'listProjectAuditLogs', { params: { project_pk: w.project } })).results[0]!.id } }),
    // An entry is shown to those who may read its project's log; to everyone else it does not exist.
    expect: { projectAdmin: 'allow', envAdmin: 404, viewer: 404, member: 404 },
  },
  listProjectAuditLogs: { need: P('VIEW_AUDIT_LOG'), call: (w) => ({ params: { project_pk: w.project } }) },
  getAuditLogIntegrity: { need: ORG_ADMIN, call: (w) => ({ params: { organisation_pk: w.org } }) },
  listOrganisationAuditLogs: { need: ORG_ADMIN, call: (w) => ({ params: { organisation_pk: w.org } }) },

  listProjects: { need: { kind: 'signedIn' }, call: () => ({}) },
  createProject: {
    need: ORG_ADMIN,
    call: (w) => ({ body: { name: w.unique('project'), organisation: w.org } }),
    // The organisation is a body field: one the caller cannot see is a bad field.
    expect: { rival: 400 },
  },
  getProject: { need: P(VIEW_PROJECT), call: (w) => ({ params: { id: w.project } }) },
  updateProject: { need: P('ADMIN'), call: (w) => ({ params: { id: w.project }, body: { name: 'Web' } }) },
  partialUpdateProject: { need: P('ADMIN'), call: (w) => ({ params: { id: w.project }, body: { hide_disabled_flags: false } }) },
  deleteProject: {
    need: P('ADMIN'),
    call: async (w, role) => {
      const project = await freshProject(w);
      // Give the plain callers the same grants on the fresh project as on P, so the walk checks 403s too.
      for (const [name, u] of Object.entries(w.users)) {
        if (name === 'member' || role === 'orgAdmin') continue;
        await ok(w, 'createProjectUserPermission', { params: { project_pk: project.id }, body: { user: u.id, permissions: [VIEW_PROJECT], admin: name === 'projectAdmin' } });
      }
      return { params: { id: project.id } };
    },
  },
  getMyProjectPermissions: { need: P(VIEW_PROJECT), call: (w) => ({ params: { id: w.project } }) },

  listEnvironments: { need: { kind: 'signedIn' }, call: () => ({}) },
  createEnvironment: {
    need: P('CREATE_ENVIRONMENT'),
    call: (w) => ({ body: { name: w.unique('env'), project: w.project } }),
    expect: { rival: 400, member: 400 },
  },
  getEnvironment: { need: E(VIEW_ENVIRONMENT), call: (w) => ({ params: { api_key: w.env.api_key } }) },
  updateEnvironment: { need: E('ADMIN'), call: (w) => ({ params: { api_key: w.env.api_key }, body: { name: 'Development' } }) },
  partialUpdateEnvironment: { need: E('ADMIN'), call: (w) => ({ params: { api_key: w.env.api_key }, body: { allow_client_traits: true } }) },
  deleteEnvironment: {
    need: E('ADMIN'),
    call: async (w) => {
      const env = await freshEnvironment(w);
      for (const [name, u] of Object.entries(w.users)) {
        if (name === 'member' || name === 'projectAdmin') continue;
        await ok(w, 'createEnvironmentUserPermission', { params: { api_key: env.api_key }, body: { user: u.id, permissions: [VIEW_ENVIRONMENT], admin: name === 'envAdmin' } });
      }
      return { params: { api_key: env.api_key } };
    },
  },
  enableV2Versioning: { need: E('ADMIN'), call: async (w) => ({ params: { api_key: (await freshGrantedEnvironment(w)).api_key } }) },
  // E is on v1: an authorised caller passes the permission check and meets the state precondition (400).
  disableV2Versioning: { need: E('ADMIN'), call: (w) => ({ params: { api_key: w.env.api_key }, body: { confirm_discard_history: true } }), allowStatuses: [400] },
  getVersioningStatus: { need: E(VIEW_ENVIRONMENT), call: (w) => ({ params: { api_key: w.env.api_key } }) },
  updateFlagV1: { need: E('UPDATE_FEATURE_STATE'), call: async (w) => ({ params: { environment_key: w.env.api_key }, body: { feature: { id: (await freshFeature(w)).id }, enabled: true } }) },
  updateFlagV2: {
    need: E('UPDATE_FEATURE_STATE'),
    call: async (w) => ({ params: { environment_key: w.env.api_key }, body: { feature: { id: (await freshFeature(w)).id }, environment_default: { enabled: true, value: { type: 'string', value: 'on' } } } }),
  },
  deleteSegmentOverride: {
    need: E('UPDATE_FEATURE_STATE'),
    call: async (w) => {
      const fs = await freshFeatureSegment(w);
      return { params: { environment_key: w.env.api_key }, body: { feature: { id: fs.feature }, segment: { id: fs.segment } } };
    },
  },
  listEnvironmentApiKeys: { need: E('ADMIN'), call: (w) => ({ params: { api_key: w.env.api_key } }) },
  createEnvironmentApiKey: { need: E('ADMIN'), call: (w) => ({ params: { api_key: w.env.api_key }, body: { name: 'server' } }) },
  updateEnvironmentApiKey: {
    need: E('ADMIN'),
    call: async (w) => ({ params: { api_key: w.env.api_key, id: (await ok<{ id: number }>(w, 'createEnvironmentApiKey', { params: { api_key: w.env.api_key }, body: { name: 'k' } })).id }, body: { name: 'renamed' } }),
  },
  deleteEnvironmentApiKey: {
    need: E('ADMIN'),
    call: async (w) => ({ params: { api_key: w.env.api_key, id: (await ok<{ id: number }>(w, 'createEnvironmentApiKey', { params: { api_key: w.env.api_key }, body: { name: 'k' } })).id } }),
  },

  listProjectUserPermissions: { need: P('ADMIN'), call: (w) => ({ params: { project_pk: w.project } }) },
  createProjectUserPermission: { need: P('ADMIN'), call: async (w) => ({ params: { project_pk: w.project }, body: { user: (await freshUser(w)).id, permissions: [VIEW_PROJECT] } }) },
  updateProjectUserPermission: {
    need: P('ADMIN'),
    call: async (w) => {
      const grant = await freshProjectGrant(w);
      return { params: { project_pk: w.project, id: grant.id }, body: { user: grant.user, permissions: [VIEW_PROJECT] } };
    },
  },
  partialUpdateProjectUserPermission: { need: P('ADMIN'), call: async (w) => ({ params: { project_pk: w.project, id: (await freshProjectGrant(w)).id }, body: { permissions: [VIEW_PROJECT, 'CREATE_FEATURE'] } }) },
  deleteProjectUserPermission: { need: P('ADMIN'), call: async (w) => ({ params: { project_pk: w.project, id: (await freshProjectGrant(w)).id } }) },
  listEnvironmentUserPermissions: { need: E('ADMIN'), call: (w) => ({ params: { api_key: w.env.api_key } }) },
  createEnvironmentUserPermission: { need: E('ADMIN'), call: async (w) => ({ params: { api_key: w.env.api_key }, body: { user: (await freshUser(w)).id, permissions: [VIEW_ENVIRONMENT] } }) },
  updateEnvironmentUserPermission: {
    need: E('ADMIN'),
    call: async (w) => {
      const grant = await freshEnvGrant(w);
      return { params: { api_key: w.env.api_key, id: grant.id }, body: { user: grant.user, permissions: [VIEW_ENVIRONMENT] } };
    },
  },
  partialUpdateEnvironmentUserPermission: { need: E('ADMIN'), call: async (w) => ({ params: { api_key: w.env.api_key, id: (await freshEnvGrant(w)).id }, body: { permissions: [VIEW_ENVIRONMENT, 'VIEW_IDENTITIES'] } }) },
  deleteEnvironmentUserPermission: { need: E('ADMIN'), call: async (w) => ({ params: { api_key: w.env.api_key, id: (await freshEnvGrant(w)).id } }) },
  getMyEnvironmentPermissions: { need: E(VIEW_ENVIRONMENT), call: (w) => ({ params: { api_key: w.env.api_key } }) },

  listEnvironmentWebhooks: { need: E('ADMIN'), call: (w) => ({ params: { api_key: w.env.api_key } }) },
  createEnvironmentWebhook: { need: E('ADMIN'), call: (w) => ({ params: { api_key: w.env.api_key }, body: { url: 'http://127.0.0.1:9/hook', enabled: false } }) },
  updateEnvironmentWebhook: { need: E('ADMIN'), call: async (w) => ({ params: { api_key: w.env.api_key, id: (await freshEnvWebhook(w)).id }, body: { url: 'http://127.0.0.1:9/other' } }) },
  partialUpdateEnvironmentWebhook: { need: E('ADMIN'), call: async (w) => ({ params: { api_key: w.env.api_key, id: (await freshEnvWebhook(w)).id }, body: { enabled: false } }) },
  deleteEnvironmentWebhook: { need: E('ADMIN'), call: async (w) => ({ params: { api_key: w.env.api_key, id: (await freshEnvWebhook(w)).id } }) },
  listEnvironmentWebhookDeliveries: { need: E('ADMIN'), call: async (w) => ({ params: { api_key: w.env.api_key, id: (await freshEnvWebhook(w)).id } }) },
  redeliverEnvironmentWebhookDelivery: {
    need: E('ADMIN'),
    call: async (w) => {
      const webhook = await freshEnvWebhook(w);
      return { params: { api_key: w.env.api_key, id: webhook.id, delivery_id: await pendingDelivery(w, webhook.id) } };
    },
  },
  listOrganisationWebhooks: { need: ORG_ADMIN, call: (w) => ({ params: { organisation_pk: w.org } }) },
  // Nothing listens on port 9: an authorised test answers 400 "Could not connect".
  testWebhook: { need: E('ADMIN'), call: (w) => ({ body: { webhook_url: 'http://127.0.0.1:9/hook', scope: { type: 'environment', id: w.env.api_key } } }), allowStatuses: [400] },
  createOrganisationWebhook: { need: ORG_ADMIN, call: (w) => ({ params: { organisation_pk: w.org }, body: { url: 'http://127.0.0.1:9/hook', enabled: false } }) },
  updateOrganisationWebhook: { need: ORG_ADMIN, call: async (w) => ({ params: { organisation_pk: w.org, id: (await freshOrgWebhook(w)).id }, body: { url: 'http://127.0.0.1:9/other' } }) },
  partialUpdateOrganisationWebhook: { need: ORG_ADMIN, call: async (w) => ({ params: { organisation_pk: w.org, id: (await freshOrgWebhook(w)).id }, body: { enabled: false } }) },
  deleteOrganisationWebhook: { need: ORG_ADMIN, call: async (w) => ({ params: { organisation_pk: w.org, id: (await freshOrgWebhook(w)).id } }) },
  listOrganisationWebhookDeliveries: { need: ORG_ADMIN, call: async (w) => ({ params: { organisation_pk: w.org, id: (await freshOrgWebhook(w)).id } }) },
  redeliverOrganisationWebhookDelivery: {
    need: ORG_ADMIN,
    // No event has reached this webhook: an unknown delivery id is a 404 once the caller is authorised.
    call: async (w) => ({ params: { organisation_pk: w.org, id: (await freshOrgWebhook(w)).id, delivery_id: 2147483647 } }),
    allowStatuses: [404],
    expect: { rival: 404 },
  },

  listFeatures: { need: P(VIEW_PROJECT), call: (w) => ({ params: { project_pk: w.project } }) },
  createFeature: { need: P('CREATE_FEATURE'), call: (w) => ({ params: { project_pk: w.project }, body: { name: w.unique('walk-feature') } }) },
  getFeature: { need: P(VIEW_PROJECT), call: async (w) => ({ params: { project_pk: w.project, id: (await freshFeature(w)).id } }) },
  updateFeature: { need: P('EDIT_FEATURE'), call: async (w) => ({ params: { project_pk: w.project, id: (await freshFeature(w)).id }, body: { name: w.unique('walk-renamed') } }) },
  partialUpdateFeature: { need: P('EDIT_FEATURE'), call: async (w) => ({ params: { project_pk: w.project, id: (await freshFeature(w)).id }, body: { description: 'changed' } }) },
  deleteFeature: { need: P('DELETE_FEATURE'), call: async (w) => ({ params: { project_pk: w.project, id: (await freshFeature(w)).id } }) },
  listFeatureMvOptions: { need: P(VIEW_PROJECT), call: async (w) => ({ params: { project_pk: w.project, feature_pk: (await freshFeature(w)).id } }) },
  createFeatureMvOption: {
    need: P('CREATE_FEATURE'),
    call: async (w) => ({ params: { project_pk: w.project, feature_pk: (await freshFeature(w)).id }, body: { string_value: 'more', default_percentage_allocation: 0 } }),
  },
  getFeatureMvOption: {
    need: P(VIEW_PROJECT),
    call: async (w) => {
      const f = await freshFeature(w);
      return { params: { project_pk: w.project, feature_pk: f.id, id: f.multivariate_options[0]!.id } };
    },
  },
  updateFeatureMvOption: {
    need: P('CREATE_FEATURE'),
    call: async (w) => {
      const f = await freshFeature(w);
      return { params: { project_pk: w.project, feature_pk: f.id, id: f.multivariate_options[0]!.id }, body: { string_value: 'replaced', default_percentage_allocation: 5 } };
    },
  },
  partialUpdateFeatureMvOption: {
    need: P('CREATE_FEATURE'),
    call: async (w) => {
      const f = await freshFeature(w);
      return { params: { project_pk: w.project, feature_pk: f.id, id: f.multivariate_options[0]!.id }, body: { string_value: 'patched' } };
    },
  },
  deleteFeatureMvOption: {
    need: P('CREATE_FEATURE'),
    call: async (w) => {
      const f = await freshFeature(w);
      return { params: { project_pk: w.project, feature_pk: f.id, id: f.multivariate_options[0]!.id } };
    },
  },

  listFeatureStates: { need: E(VIEW_ENVIRONMENT), call: (w) => ({ query: { environment: w.env.id } }) },
  createFeatureState: {
    need: E('UPDATE_FEATURE_STATE'),
    call: async (w) => {
      const fs = await freshFeatureSegment(w);
      return { body: { feature: fs.feature, environment: w.env.id, feature_segment: fs.id, enabled: true } };
    },
    // The environment is a body field: one the caller cannot see is a bad field.
    expect: { rival: 400, member: 400 },
  },
  getFeatureState: { need: E(VIEW_ENVIRONMENT), call: async (w) => ({ params: { id: (await freshDefaultState(w)).id } }) },
  updateFeatureState: {
    need: E('UPDATE_FEATURE_STATE'),
    call: async (w) => {
      const s = await freshDefaultState(w);
      return { params: { id: s.id }, body: { feature: s.feature, environment: w.env.id, enabled: true } };
    },
  },
  partialUpdateFeatureState: { need: E('UPDATE_FEATURE_STATE'), call: async (w) => ({ params: { id: (await freshDefaultState(w)).id }, body: { enabled: true } }) },
  deleteFeatureState: { need: E('UPDATE_FEATURE_STATE'), call: async (w) => ({ params: { id: await freshOverrideState(w) } }) },
  listEnvironmentFeatureStates: { need: E(VIEW_ENVIRONMENT), call: (w) => ({ params: { environment_api_key: w.env.api_key } }) },
  createEnvironmentFeatureState: {
    need: E('UPDATE_FEATURE_STATE'),
    // A feature written by SQL has no environment default yet.
    call: async (w) => ({ params: { environment_api_key: w.env.api_key }, body: { feature: await eventsFixtures(w.api).feature(w.project, w.unique('walk-bare')), enabled: true } }),
  },
  getEnvironmentFeatureState: { need: E(VIEW_ENVIRONMENT), call: async (w) => ({ params: { environment_api_key: w.env.api_key, id: (await freshDefaultState(w)).id } }) },
  updateEnvironmentFeatureState: {
    need: E('UPDATE_FEATURE_STATE'),
    call: async (w) => ({ params: { environment_api_key: w.env.api_key, id: (await freshDefaultState(w)).id }, body: { feature_state_value: 'walked' } }),
  },
  partialUpdateEnvironmentFeatureState: {
    need: E('UPDATE_FEATURE_STATE'),
    call: async (w) => ({ params: { environment_api_key: w.env.api_key, id: (await freshDefaultState(w)).id }, body: { enabled: true } }),
  },
  deleteEnvironmentFeatureState: {
    need: E('UPDATE_FEATURE_STATE'),
    call: async (w) => ({ params: { environment_api_key: w.env.api_key, id: (await freshDefaultState(w)).id } }),
    // Authorised callers reach the rule that an environment default cannot be deleted.
    allowStatuses: [400],
  },

  listSegments: { need: P(VIEW_PROJECT), call: (w) => ({ params: { project_pk: w.project } }) },
  createSegment: { need: P('MANAGE_SEGMENTS'), call: (w) => ({ params: { project_pk: w.project }, body: { name: w.unique('walk-segment'), rules: SEGMENT_RULES } }) },
  getSegment: { need: P(VIEW_PROJECT), call: async (w) => ({ params: { project_pk: w.project, id: (await freshSegment(w)).id } }) },
  updateSegment: { need: P('MANAGE_SEGMENTS'), call: async (w) => ({ params: { project_pk: w.project, id: (await freshSegment(w)).id }, body: { name: w.unique('walk-segment'), rules: SEGMENT_RULES } }) },
  partialUpdateSegment: { need: P('MANAGE_SEGMENTS'), call: async (w) => ({ params: { project_pk: w.project, id: (await freshSegment(w)).id }, body: { description: 'walked' } }) },
  deleteSegment: { need: P('MANAGE_SEGMENTS'), call: async (w) => ({ params: { project_pk: w.project, id: (await freshSegment(w)).id } }) },
  listFeatureSegments: { need: E(VIEW_ENVIRONMENT), call: async (w) => ({ query: { environment: w.env.id, feature: (await freshFeature(w)).id } }) },
  // The environment is named in the body: one the caller cannot see is a bad field (400), as for createEnvironment's project.
  createFeatureSegment: {
    need: E('MANAGE_SEGMENT_OVERRIDES'),
    call: async (w) => ({ body: { feature: (await freshFeature(w)).id, segment: (await freshSegment(w)).id, environment: w.env.id } }),
    expect: { member: 400, rival: 400 },
  },
  getFeatureSegment: { need: E(VIEW_ENVIRONMENT), call: async (w) => ({ params: { id: (await freshFeatureSegment(w)).id } }) },
  updateFeatureSegment: {
    need: E('MANAGE_SEGMENT_OVERRIDES'),
    call: async (w) => {
      const fs = await freshFeatureSegment(w);
      return { params: { id: fs.id }, body: { feature: fs.feature, segment: fs.segment, environment: fs.environment, priority: 0 } };
    },
  },
  partialUpdateFeatureSegment: { need: E('MANAGE_SEGMENT_OVERRIDES'), call: async (w) => ({ params: { id: (await freshFeatureSegment(w)).id }, body: { priority: 0 } }) },
  createSegmentOverride: {
    need: E('MANAGE_SEGMENT_OVERRIDES'),
    call: async (w) => ({ params: { environment_api_key: w.env.api_key, feature_pk: (await freshFeature(w)).id }, body: { feature_segment: { segment: (await freshSegment(w)).id }, enabled: true } }),
  },
  deleteFeatureSegment: { need: E('MANAGE_SEGMENT_OVERRIDES'), call: async (w) => ({ params: { id: (await freshFeatureSegment(w)).id } }) },
  // Ids in the body that the caller cannot see are "not found" ids: 400, as in Flagsmith.
  updateFeatureSegmentPriorities: {
    need: E('MANAGE_SEGMENT_OVERRIDES'),
    call: async (w) => ({ body: [{ id: (await freshFeatureSegment(w)).id, priority: 0 }] }),
    expect: { member: 400, rival: 400 },
  },

  listIdentities: { need: E('VIEW_IDENTITIES'), call: (w) => ({ params: { environment_api_key: w.env.api_key } }) },
  createIdentity: { need: E('MANAGE_IDENTITIES'), call: (w) => ({ params: { environment_api_key: w.env.api_key }, body: { identifier: w.unique('walk-user') } }) },
  getIdentity: { need: E('VIEW_IDENTITIES'), call: async (w) => ({ params: { environment_api_key: w.env.api_key, id: (await freshIdentity(w)).id } }) },
  deleteIdentity: { need: E('MANAGE_IDENTITIES'), call: async (w) => ({ params: { environment_api_key: w.env.api_key, id: (await freshIdentity(w)).id } }) },
  listIdentityTraits: { need: E('VIEW_IDENTITIES'), call: async (w) => ({ params: { environment_api_key: w.env.api_key, identity_pk: (await freshTrait(w)).identity } }) },
  createIdentityTrait: {
    need: E('MANAGE_IDENTITIES'),
    call: async (w) => ({ params: { environment_api_key: w.env.api_key, identity_pk: (await freshIdentity(w)).id }, body: { trait_key: 'age', trait_value: 42 } }),
  },
  getIdentityTrait: {
    need: E('VIEW_IDENTITIES'),
    call: async (w) => {
      const t = await freshTrait(w);
      return { params: { environment_api_key: w.env.api_key, identity_pk: t.identity, id: t.id } };
    },
  },
  updateIdentityTrait: {
    need: E('MANAGE_IDENTITIES'),
    call: async (w) => {
      const t = await freshTrait(w);
      return { params: { environment_api_key: w.env.api_key, identity_pk: t.identity, id: t.id }, body: { trait_key: 'plan', trait_value: 'free' } };
    },
  },
  partialUpdateIdentityTrait: {
    need: E('MANAGE_IDENTITIES'),
    call: async (w) => {
      const t = await freshTrait(w);
      return { params: { environment_api_key: w.env.api_key, identity_pk: t.identity, id: t.id }, body: { trait_value: 'team' } };
    },
  },
  deleteIdentityTrait: {
    need: E('MANAGE_IDENTITIES'),
    call: async (w) => {
      const t = await freshTrait(w);
      return { params: { environment_api_key: w.env.api_key, identity_pk: t.identity, id: t.id } };
    },
  },
  listIdentityFeatureStates: { need: E('VIEW_IDENTITIES'), call: async (w) => ({ params: { environment_api_key: w.env.api_key, identity_pk: (await freshIdentityOverride(w)).identity } }) },
  listIdentityAllFeatureStates: { need: E('VIEW_IDENTITIES'), call: async (w) => ({ params: { environment_api_key: w.env.api_key, identity_pk: (await freshIdentityOverride(w)).identity } }) },
  createIdentityFeatureState: {
    need: E('MANAGE_IDENTITIES'),
    call: async (w) => ({ params: { environment_api_key: w.env.api_key, identity_pk: (await freshIdentity(w)).id }, body: { feature: (await freshFeature(w)).id, enabled: true } }),
  },
  getIdentityFeatureState: {
    need: E('VIEW_IDENTITIES'),
    call: async (w) => {
      const o = await freshIdentityOverride(w);
      return { params: { environment_api_key: w.env.api_key, identity_pk: o.identity, id: o.id } };
    },
  },
  updateIdentityFeatureState: {
    need: E('MANAGE_IDENTITIES'),
    call: async (w) => {
      const o = await freshIdentityOverride(w);
      return { params: { environment_api_key: w.env.api_key, identity_pk: o.identity, id: o.id }, body: { enabled: false } };
    },
  },
  partialUpdateIdentityFeatureState: {
    need: E('MANAGE_IDENTITIES'),
    call: async (w) => {
      const o = await freshIdentityOverride(w);
      return { params: { environment_api_key: w.env.api_key, identity_pk: o.identity, id: o.id }, body: { feature_state_value: 'mine' } };
    },
  },
  deleteIdentityFeatureState: {
    need: E('MANAGE_IDENTITIES'),
    call: async (w) => {
      const o = await freshIdentityOverride(w);
      return { params: { environment_api_key: w.env.api_key, identity_pk: o.identity, id: o.id } };
    },
  },

  getSdkFlags: { need: { kind: 'sdk' }, call: (w, role) => ({ headers: sdkKey(role, w.env.api_key) }) },
  getSdkIdentity: { need: { kind: 'sdk' }, call: (w, role) => ({ query: { identifier: 'walker' }, headers: sdkKey(role, w.env.api_key) }) },
  identifySdkIdentity: {
    need: { kind: 'sdk' },
    call: (w, role) => ({ body: { identifier: 'walker', traits: [{ trait_key: 'plan', trait_value: 'pro' }] }, headers: sdkKey(role, w.env.api_key) }),
  },
  getEnvironmentDocument: { need: { kind: 'sdk' }, call: (w, role) => ({ headers: sdkKey(role, w.serverKey) }) },
  // Sync (issue 6): any signed-in caller; what they may see or change is decided per document (test/contract/sync).
  syncPull: { need: { kind: 'signedIn' }, call: () => ({ params: { collection: 'features' } }) },
  syncPush: { need: { kind: 'signedIn' }, call: () => ({ params: { collection: 'intents' }, body: [] }) },
  syncStream: { need: { kind: 'signedIn' }, call: () => ({ query: { max_seconds: 0 } }) },
};

/** Organisation A with the walk's callers, project P and environment E, and a rival organisation. */
async function arrangeWalk(api: TestApi): Promise<World> {
  let counter = 0;
  await api.start();
  const users = {
    projectAdmin: await addMember(api, 'project-admin@example.com'),
    envAdmin: await addMember(api, 'env-admin@example.com'),
    viewer: await addMember(api, 'viewer@example.com'),
    member: await addMember(api, 'member@example.com'),
  };
  const project = await createProject(api, 'Walk');
  const env = await createEnvironment(api, project.id, 'Walk env');
  const grantProject = (user: TestUser, permissions: string[], admin = false) => api.op('createProjectUserPermission', { params: { project_pk: project.id }, body: { user: user.id, permissions, admin } });
  const grantEnv = (user: TestUser, permissions: string[], admin = false) => api.op('createEnvironmentUserPermission', { params: { api_key: env.api_key }, body: { user: user.id, permissions, admin } });
  await grantProject(users.projectAdmin, [], true);
  await grantProject(users.envAdmin, [VIEW_PROJECT]);
  await grantEnv(users.envAdmin, [], true);
  await grantProject(users.viewer, [VIEW_PROJECT]);
  await grantEnv(users.viewer, [VIEW_ENVIRONMENT]);
  const serverKey = (await api.op<{ key: string }>('createEnvironmentApiKey', { params: { api_key: env.api_key }, body: { name: 'walk' } })).body.key;
  return { api, serverKey, users, rival: await otherOrganisation(api), org: api.organisationId, project: project.id, env, unique: (prefix) => `${prefix}-${++counter}` };
}

describe('role walk: every route, every kind of caller', () => {
  const api = new TestApi('sqlite');
  let w: World;

  // The arrangement makes a few dozen API calls; on a loaded 2-core machine that can pass the default 10 s.
  beforeAll(async () => {
    w = await arrangeWalk(api);
  }, 60_000);
  afterAll(() => api.stop());

  test('every operation of the route table is in the walk', () => {
    expect(Object.keys(routeTable).filter((op) => !(op in cases))).toEqual([]);
  });

  async function authFor(role: Role, op: OperationId): Promise<string> {
    if (role === 'anonymous') return '';
    const email = role === 'orgAdmin' ? 'admin@example.com' : role === 'rival' ? w.rival.admin.email : w.users[role].email;
    const password = role === 'orgAdmin' ? 'admin-password' : role === 'rival' ? 'rival-password' : 'member-password';
    // Logging out ends the token it is called with: give that call a token of its own.
    if (op === 'logout') return `Token ${await api.login(email, password)}`;
    return role === 'orgAdmin' ? api.adminToken : role === 'rival' ? w.rival.admin.auth : w.users[role].auth;
  }

  test.each(Object.keys(cases) as OperationId[])('%s allows and denies as the permission model says', { timeout: 30_000 }, async (op) => {
    const c = cases[op];
    const mismatches: string[] = [];
    for (const role of ROLES) {
      const expected = c.expect?.[role] ?? expectedOutcome(c.need, role);
      const options = await c.call(w, role);
      const r = await api.op(op, { ...options, auth: await authFor(role, op) });
      const allowed = (r.status >= 200 && r.status < 300) || (c.allowStatuses ?? []).includes(r.status);
      const ok = expected === 'allow' ? allowed : r.status === expected;
      if (!ok || r.status >= 500) mismatches.push(`${role}: expected ${expected}, got ${r.status} ${JSON.stringify(r.body).slice(0, 200)}`);
    }
    expect(mismatches).toEqual([]);
  });
});

// ---- the tenant-isolation matrix (issue 16 item 9) ------------------------------------------------

/** Routes naming an object in their path (an id or key); sync's `:collection` names a collection, not an object. */
const ID_ROUTES = (Object.keys(routeTable) as OperationId[]).filter((op) => [...routeTable[op].url.matchAll(/:([A-Za-z_]+)/g)].some(([, name]) => name !== 'collection'));

/**
 * A fingerprint of every table: row count, greatest id and latest `updated_at` (the clock moves before
 * each call, so an update shows), and the change-feed counter. Equal fingerprints: nothing was written.
 */
async function fingerprinter(api: TestApi): Promise<() => Promise<string>> {
  const k = api.testDb.db.kysely;
  const columns =
    api.dialect === 'sqlite'
      ? (await sql<{ t: string; c: string }>`SELECT m.name AS t, p.name AS c FROM sqlite_master m, pragma_table_info(m.name) p WHERE m.type = 'table' AND m.name NOT LIKE 'sqlite_%'`.execute(k)).rows
      : (await sql<{ t: string; c: string }>`SELECT table_name AS t, column_name AS c FROM information_schema.columns WHERE table_schema = 'public'`.execute(k)).rows;
  const tables = new Map<string, Set<string>>();
  for (const { t, c } of columns) tables.set(t, (tables.get(t) ?? new Set()).add(c));
  const parts = [...tables].sort(([a], [b]) => a.localeCompare(b)).map(([t, cols]) => {
    const id = cols.has('id') ? `max(${cols.has('value') && t === 'sync_counter' ? 'value' : 'id'})` : 'NULL';
    const updated = cols.has('updated_at') ? 'max(updated_at)' : 'NULL';
    return `SELECT '${t}' AS t, count(*) AS n, CAST(${id} AS TEXT) AS i, CAST(${updated} AS TEXT) AS u FROM "${t}"`;
  });
  const query = sql.raw(parts.join(' UNION ALL '));
  return async () => JSON.stringify((await query.execute(k)).rows);
}

describe.each(DIALECTS)('tenant-isolation matrix on %s: every route with an id or key, called by those it must refuse', (dialect) => {
  const api = new TestApi(dialect);
  let w: World;
  let rivalKey: string;
  let fingerprint: () => Promise<string>;

  beforeAll(async () => {
    w = await arrangeWalk(api);
    const key = await api.op<{ key: string }>('createOrganisationApiKey', { params: { organisation_pk: w.rival.organisationId }, body: { name: 'rival-ci' }, auth: w.rival.admin.auth });
    rivalKey = `Api-Key ${key.body.key}`;
    fingerprint = await fingerprinter(api);
  }, 120_000);
  afterAll(() => api.stop());

  test('covers every route of the table with an id or key in its path', () => {
    expect(ID_ROUTES.length).toBeGreaterThan(100);
    expect(ID_ROUTES.filter((op) => !(op in cases))).toEqual([]);
  });

  test.each(ID_ROUTES)('%s: 403/404, no data of the organisation, nothing written', { timeout: 60_000 }, async (op) => {
    const c = cases[op];
    const callers: { name: string; auth: string }[] = [
      { name: 'rival admin', auth: w.rival.admin.auth },
      { name: 'rival API key', auth: rivalKey },
      // A member reads the organisation itself (its details, its members): only what they may not do is checked.
      ...(expectedOutcome(c.need, 'member') === 'allow' ? [] : [{ name: 'member without permissions', auth: w.users.member.auth }]),
    ];
    const markers = ['Acme', 'Walk', 'walk-', 'admin@example.com', w.serverKey];
    const problems: string[] = [];
    // One arrangement serves every caller: a refused call consumes nothing (and the fingerprint checks that).
    const options = await c.call(w, 'member');
    api.clock.advanceMs(1000);
    const before = await fingerprint();
    for (const caller of callers) {
      const r = await api.op(op, { ...options, auth: caller.auth });
      const text = JSON.stringify(r.body ?? '');
      if (r.status !== 403 && r.status !== 404) problems.push(`${caller.name}: ${r.status} ${text.slice(0, 200)}`);
      const leaked = markers.filter((m) => text.includes(m));
      if (leaked.length > 0) problems.push(`${caller.name}: answer names ${leaked.join(', ')}: ${text.slice(0, 200)}`);
      if ((await fingerprint()) !== before) problems.push(`${caller.name}: the call wrote to the database`);
    }
    expect(problems).toEqual([]);
  });
});
