import type { OperationId } from '../../src-shared/contracts/http/route-table.js';
import type { ApiResponse, CallOptions, TestApi } from './api-harness.js';
import { createEnvironment, createProject } from './tenancy.js';
import { environmentDefaultState } from './flag-fixtures.js';

/**
 * Seeding for SDK tests, through the Admin API only (the same calls a dashboard or script makes), so the
 * SDK endpoints are tested against data written by the real write paths and their revision bumps.
 */

/** A project with one environment and a server-side key for it. */
export interface SdkEnvironment {
  projectId: number;
  environmentId: number;
  /** The client-side key (also the environment's key in Admin URLs). */
  clientKey: string;
  serverKey: string;
}

async function expectStatus<T>(r: Promise<ApiResponse<T>>, status: number, what: string): Promise<T> {
  const res = await r;
  if (res.status !== status) throw new Error(`${what} failed: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body;
}

export async function createSdkEnvironment(api: TestApi, name = 'Web'): Promise<SdkEnvironment> {
  const project = await createProject(api, name);
  const env = await createEnvironment(api, project.id, 'Production');
  const key = await expectStatus<{ key: string }>(api.op('createEnvironmentApiKey', { params: { api_key: env.api_key }, body: { name: 'backend' } }), 201, 'createEnvironmentApiKey');
  return { projectId: project.id, environmentId: env.id, clientKey: env.api_key, serverKey: key.key };
}

/** Calls an SDK route with an environment key (no Authorization header). */
export function sdkOp<T = any>(api: TestApi, operationId: OperationId, key: string | null, options: Omit<CallOptions, 'auth'> = {}): Promise<ApiResponse<T>> {
  return api.op<T>(operationId, { ...options, auth: '', headers: { ...options.headers, ...(key === null ? {} : { 'x-environment-key': key }) } });
}

/** Sets a feature's environment default (enabled, value and, for multivariate features, the shares). */
export async function setEnvironmentDefault(
  api: TestApi,
  env: SdkEnvironment,
  featureId: number,
  state: { enabled?: boolean; value?: unknown; multivariate?: { multivariate_feature_option: number; percentage_allocation: number }[] },
): Promise<{ id: number }> {
  const current = await environmentDefaultState(api, env.clientKey, featureId);
  return expectStatus(
    api.op('updateEnvironmentFeatureState', {
      params: { environment_api_key: env.clientKey, id: current.id },
      body: {
        ...(state.enabled !== undefined ? { enabled: state.enabled } : {}),
        ...(state.value !== undefined ? { feature_state_value: state.value } : {}),
        ...(state.multivariate ? { multivariate_feature_state_values: state.multivariate } : {}),
      },
    }),
    200,
    'updateEnvironmentFeatureState',
  );
}

export type SegmentCondition = { operator: string; property?: string | null; value?: unknown };

/** A segment whose identities match every condition (one ALL rule). */
export async function createSegment(api: TestApi, projectId: number, name: string, conditions: SegmentCondition[]): Promise<{ id: number }> {
  return expectStatus(
    api.op('createSegment', { params: { project_pk: projectId }, body: { name, rules: [{ type: 'ALL', rules: [{ type: 'ANY', conditions }], conditions: [] }] } }),
    201,
    'createSegment',
  );
}

/** A segment override of a feature in the environment: its feature segment, then its feature state. */
export async function createSegmentOverride(
  api: TestApi,
  env: SdkEnvironment,
  input: { featureId: number; segmentId: number; enabled: boolean; value: string | number | boolean; priority?: number },
): Promise<{ featureSegmentId: number; featureStateId: number }> {
  const fs = await expectStatus<{ id: number }>(
    api.op('createFeatureSegment', {
      body: { feature: input.featureId, segment: input.segmentId, environment: env.environmentId, ...(input.priority !== undefined ? { priority: input.priority } : {}) },
    }),
    201,
    'createFeatureSegment',
  );
  const type = typeof input.value === 'boolean' ? 'bool' : typeof input.value === 'number' ? 'int' : 'unicode';
  const valueColumn = type === 'bool' ? 'boolean_value' : type === 'int' ? 'integer_value' : 'string_value';
  const state = await expectStatus<{ id: number }>(
    api.op('createFeatureState', {
      body: { feature: input.featureId, environment: env.environmentId, feature_segment: fs.id, enabled: input.enabled, feature_state_value: { type, [valueColumn]: input.value } },
    }),
    201,
    'createFeatureState',
  );
  return { featureSegmentId: fs.id, featureStateId: state.id };
}

/** An identity created through the Admin API. */
export async function createIdentity(api: TestApi, env: SdkEnvironment, identifier: string): Promise<{ id: number }> {
  return expectStatus(api.op('createIdentity', { params: { environment_api_key: env.clientKey }, body: { identifier } }), 201, 'createIdentity');
}

/** An identity override of a feature. */
export async function createIdentityOverride(api: TestApi, env: SdkEnvironment, identityId: number, featureId: number, state: { enabled: boolean; value: unknown }): Promise<{ id: number }> {
  return expectStatus(
    api.op('createIdentityFeatureState', {
      params: { environment_api_key: env.clientKey, identity_pk: identityId },
      body: { feature: featureId, enabled: state.enabled, feature_state_value: state.value },
    }),
    201,
    'createIdentityFeatureState',
  );
}
