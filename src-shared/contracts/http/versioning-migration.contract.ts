import { Type, type Static } from '@sinclair/typebox';
import { defineRoutes, Nullable } from './route-contract.js';

/** Where an environment is in the v1 ↔ v2 migration (ADR 0005). */
export const VersioningStatus = { V1: 'v1', ENABLING: 'enabling', V2: 'v2', DISABLING: 'disabling', FAILED: 'failed' } as const;
export type VersioningStatus = (typeof VersioningStatus)[keyof typeof VersioningStatus];

/**
 * An environment's Feature Versioning migration status, for a client that polls after asking to enable
 * or disable v2: `v1` → `enabling` → `v2` (or `v2` → `disabling` → `v1`), or `failed` when the job gave up.
 */
export const VersioningStatusSchema = Type.Object(
  {
    environment: Type.Integer({ description: 'Environment id.' }),
    api_key: Type.String({ description: 'The environment’s client-side key.' }),
    versioning_status: Type.Union(Object.values(VersioningStatus).map((s) => Type.Literal(s)), {
      description: '`v1`, `enabling`, `v2`, `disabling` or `failed` (the last migration job gave up; enabling or disabling again resumes it).',
    }),
    use_v2_feature_versioning: Type.Boolean({ description: 'Flips when the migration job finishes, in the same transaction as its last step.' }),
    progress: Nullable(
      Type.Object(
        {
          done: Type.Integer({ description: 'Features migrated so far.' }),
          total: Type.Integer({ description: 'Features to migrate in all.' }),
        },
        { description: 'Progress of the running (or last) migration job; null before any ran.' },
      ),
    ),
    last_error: Nullable(Type.String({ description: 'Why the last migration job failed (status `failed`), else null.' })),
  },
  { description: 'Feature Versioning v2 migration status of an environment.' },
);
export type VersioningStatusWire = Static<typeof VersioningStatusSchema>;

const ApiKeyParam = Type.Object({ api_key: Type.String({ minLength: 1, maxLength: 100, description: 'The environment’s client-side key.' }) });

export const versioningMigrationRoutes = defineRoutes({
  enableV2Versioning: {
    method: 'POST',
    url: '/api/v1/environments/:api_key/enable-v2-versioning/',
    summary:
      'Starts moving the environment to Feature Versioning v2 in the background (202). Each feature gets one initial published version holding its current state; committed v1 scheduled changes become scheduled versions. Poll GET …/versioning-status/ until `v2`. Environment, project or organisation admins only; 400 when v2 is already on or a migration is running.',
    tag: 'environments',
    auth: 'admin',
    params: ApiKeyParam,
    successStatus: 202,
    response: VersioningStatusSchema,
    errors: ['PERMISSION_DENIED', 'NOT_FOUND', 'PRECONDITION_FAILED'],
  },
  disableV2Versioning: {
    method: 'POST',
    url: '/api/v1/environments/:api_key/disable-v2-versioning/',
    summary:
      'Moves the environment back to v1 in the background (202): only the live state of each feature is kept (as v1 feature states) and the version history is discarded, so the body must confirm it with `confirm_discard_history: true`. Environment, project or organisation admins only; 400 when v2 is not on or a migration is running.',
    tag: 'environments',
    auth: 'admin',
    params: ApiKeyParam,
    body: Type.Object({
      confirm_discard_history: Type.Optional(Type.Boolean({ description: 'Must be true: disabling deletes every version of the environment except the live states.' })),
    }),
    successStatus: 202,
    response: VersioningStatusSchema,
    errors: ['PERMISSION_DENIED', 'NOT_FOUND', 'PRECONDITION_FAILED'],
  },
  getVersioningStatus: {
    method: 'GET',
    url: '/api/v1/environments/:api_key/versioning-status/',
    summary: 'Flagdesk: the environment’s Feature Versioning migration status and progress (VIEW_ENVIRONMENT).',
    tag: 'environments',
    auth: 'admin',
    params: ApiKeyParam,
    successStatus: 200,
    response: VersioningStatusSchema,
    errors: ['NOT_FOUND'],
  },
});
