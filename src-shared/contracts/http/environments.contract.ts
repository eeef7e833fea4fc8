import { Type, type Static } from '@sinclair/typebox';
import { defineRoutes, IdParam, NoContent, Nullable, PageQuery, Paginated, Timestamp } from './route-contract.js';

/** An environment, in Flagsmith's `EnvironmentSerializerLight` shape (the fields Flagdesk supports). */
export const EnvironmentSchema = Type.Object(
  {
    id: Type.Integer(),
    uuid: Type.String(),
    name: Type.String(),
    api_key: Type.String({ description: 'Client-side SDK key; also the environment’s key in Admin API URLs.' }),
    project: Type.Integer({ description: 'Id of the project the environment belongs to.' }),
    description: Nullable(Type.String()),
    use_v2_feature_versioning: Type.Boolean({ description: 'Whether flag changes are made through versions (read-only; see enable-v2-versioning).' }),
    minimum_change_request_approvals: Nullable(Type.Integer({ description: 'Approvals a change request needs; null disables change requests.' })),
    allow_client_traits: Type.Boolean({ description: 'Whether client-side SDK keys may set traits.' }),
    hide_disabled_flags: Nullable(Type.Boolean({ description: 'Overrides the project setting when not null.' })),
    created_date: Timestamp,
  },
  { description: 'An environment of a project (e.g. Development, Production), with its own flag states.' },
);
export type EnvironmentWire = Static<typeof EnvironmentSchema>;

const EnvironmentSettings = {
  description: Type.Optional(Nullable(Type.String({ maxLength: 20000 }))),
  allow_client_traits: Type.Optional(Type.Boolean()),
  hide_disabled_flags: Type.Optional(Nullable(Type.Boolean())),
  minimum_change_request_approvals: Type.Optional(Nullable(Type.Integer({ minimum: 0, maximum: 1000 }))),
};
const EnvName = Type.String({ minLength: 1, maxLength: 2000, description: 'Environment name.' });
const ProjectRef = Type.Integer({ minimum: 1, maximum: 2147483647, description: 'Project id. On update it must be the environment’s own project (environments do not move).' });

/** A server-side SDK key of an environment; the secret `key` appears only in the creation answer. */
export const EnvironmentApiKeySchema = Type.Object(
  {
    id: Type.Integer(),
    name: Type.String(),
    prefix: Type.String({ description: 'The first characters of the key (`ser.` and four more), to recognise it.' }),
    active: Type.Boolean({ description: 'Inactive keys are refused by the SDK endpoints.' }),
    created_at: Timestamp,
    expires_at: Nullable(Timestamp),
  },
  { description: 'A server-side environment key (`ser.…`) for `X-Environment-Key`. Only its SHA-256 hash is stored.' },
);
export type EnvironmentApiKeyWire = Static<typeof EnvironmentApiKeySchema>;

const ApiKeyParam = Type.Object({ api_key: Type.String({ minLength: 1, maxLength: 100, description: 'The environment’s client-side key.' }) });

export const environmentRoutes = defineRoutes({
  listEnvironments: {
    method: 'GET',
    url: '/api/v1/environments/',
    summary: 'Environments the caller can view, optionally of one project.',
    tag: 'environments',
    auth: 'admin',
    querystring: Type.Object({ ...PageQuery, project: Type.Optional(Type.Integer({ minimum: 1, maximum: 2147483647, description: 'Only environments of this project.' })) }),
    successStatus: 200,
    response: Paginated(EnvironmentSchema),
    errors: ['UNAUTHENTICATED'],
  },
  createEnvironment: {
    method: 'POST',
    url: '/api/v1/environments/',
    summary:
      'Create an environment (CREATE_ENVIRONMENT on the project, or project admin). Every feature of the project gets its environment default state. A user creating it becomes its environment admin, as in Flagsmith.',
    tag: 'environments',
    auth: 'admin',
    body: Type.Object({ name: EnvName, project: ProjectRef, ...EnvironmentSettings }),
    successStatus: 201,
    response: EnvironmentSchema,
    errors: ['VALIDATION_FAILED', 'PERMISSION_DENIED'],
  },
  getEnvironment: {
    method: 'GET',
    url: '/api/v1/environments/:api_key/',
    summary: 'One environment (VIEW_ENVIRONMENT).',
    tag: 'environments',
    auth: 'admin',
    params: ApiKeyParam,
    successStatus: 200,
    response: EnvironmentSchema,
    errors: ['NOT_FOUND'],
  },
  updateEnvironment: {
    method: 'PUT',
    url: '/api/v1/environments/:api_key/',
    summary: 'Replace an environment’s settings (environment admin).',
    tag: 'environments',
    auth: 'admin',
    params: ApiKeyParam,
    body: Type.Object({ name: EnvName, project: Type.Optional(ProjectRef), ...EnvironmentSettings }),
    successStatus: 200,
    response: EnvironmentSchema,
    errors: ['NOT_FOUND', 'PERMISSION_DENIED', 'VALIDATION_FAILED'],
  },
  partialUpdateEnvironment: {
    method: 'PATCH',
    url: '/api/v1/environments/:api_key/',
    summary: 'Change some of an environment’s settings (environment admin).',
    tag: 'environments',
    auth: 'admin',
    params: ApiKeyParam,
    body: Type.Object({ name: Type.Optional(EnvName), project: Type.Optional(ProjectRef), ...EnvironmentSettings }),
    successStatus: 200,
    response: EnvironmentSchema,
    errors: ['NOT_FOUND', 'PERMISSION_DENIED', 'VALIDATION_FAILED'],
  },
  deleteEnvironment: {
    method: 'DELETE',
    url: '/api/v1/environments/:api_key/',
    summary: 'Delete an environment with its flag states, identities and keys (environment admin).',
    tag: 'environments',
    auth: 'admin',
    params: ApiKeyParam,
    successStatus: 204,
    response: NoContent,
    errors: ['NOT_FOUND', 'PERMISSION_DENIED'],
  },

  listEnvironmentApiKeys: {
    method: 'GET',
    url: '/api/v1/environments/:api_key/api-keys/',
    summary: 'Server-side keys of the environment (environment admin). A plain array, as in Flagsmith; keys are never shown again.',
    tag: 'environments',
    auth: 'admin',
    params: ApiKeyParam,
    successStatus: 200,
    response: Type.Array(EnvironmentApiKeySchema),
    errors: ['NOT_FOUND', 'PERMISSION_DENIED'],
  },
  createEnvironmentApiKey: {
    method: 'POST',
    url: '/api/v1/environments/:api_key/api-keys/',
    summary: 'Create a server-side key (environment admin). The answer carries the full `key` once.',
    tag: 'environments',
    auth: 'admin',
    params: ApiKeyParam,
    body: Type.Object({
      name: Type.String({ minLength: 1, maxLength: 200, description: 'What the key is for.' }),
      expires_at: Type.Optional(Nullable(Type.String({ format: 'date-time', description: 'When the key stops working.' }))),
      active: Type.Optional(Type.Boolean({ description: 'Default true.' })),
    }),
    successStatus: 201,
    response: Type.Object({ ...EnvironmentApiKeySchema.properties, key: Type.String({ description: '`ser.…`; shown only here.' }) }),
    errors: ['NOT_FOUND', 'PERMISSION_DENIED', 'VALIDATION_FAILED'],
  },
  updateEnvironmentApiKey: {
    method: 'PATCH',
    url: '/api/v1/environments/:api_key/api-keys/:id/',
    summary: 'Rename, deactivate or re-date a server-side key (environment admin).',
    tag: 'environments',
    auth: 'admin',
    params: Type.Object({ ...ApiKeyParam.properties, id: IdParam }),
    body: Type.Object({
      name: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
      active: Type.Optional(Type.Boolean()),
      expires_at: Type.Optional(Nullable(Type.String({ format: 'date-time' }))),
    }),
    successStatus: 200,
    response: EnvironmentApiKeySchema,
    errors: ['NOT_FOUND', 'PERMISSION_DENIED', 'VALIDATION_FAILED'],
  },
  deleteEnvironmentApiKey: {
    method: 'DELETE',
    url: '/api/v1/environments/:api_key/api-keys/:id/',
    summary: 'Delete a server-side key (environment admin); SDK requests with it are refused from then on.',
    tag: 'environments',
    auth: 'admin',
    params: Type.Object({ ...ApiKeyParam.properties, id: IdParam }),
    successStatus: 204,
    response: NoContent,
    errors: ['NOT_FOUND', 'PERMISSION_DENIED'],
  },
});
