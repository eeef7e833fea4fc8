import { Type, type Static } from '@sinclair/typebox';
import { defineRoutes, IdParam, NoContent, Nullable, PageQuery, Paginated, Timestamp } from './route-contract.js';

const RoleSchema = Type.Union([Type.Literal('ADMIN'), Type.Literal('USER')], { description: 'Organisation role: ADMIN manages the organisation; USER sees what is granted.' });

/** Plan limits the server enforces; Flagdesk keeps them on the organisation (Flagsmith: subscription metadata). */
const PlanLimitFields = {
  plan_name: Type.String({ description: 'Name of the plan, e.g. `free`, `enterprise`.' }),
  max_segment_overrides_per_environment: Type.Integer({ description: 'How many segment overrides one environment may hold.' }),
  feature_history_visibility_days: Nullable(Type.Integer({ description: 'How many days of version history are visible; null means unlimited.' })),
};

/** An organisation, in Flagsmith's `OrganisationSerializerFull` shape plus Flagdesk's plan limits. */
export const OrganisationSchema = Type.Object(
  {
    id: Type.Integer(),
    uuid: Type.String(),
    name: Type.String(),
    created_date: Timestamp,
    persist_trait_data: Type.Boolean({ description: 'Whether traits sent by SDKs are stored.' }),
    stop_serving_flags: Type.Boolean({ description: 'When true, SDK endpoints serve no flags.' }),
    role: RoleSchema,
    ...PlanLimitFields,
    subscription: Type.Object({ plan: Type.String({ description: 'Same as `plan_name`.' }) }, { description: 'Flagsmith-compatible subscription summary.' }),
  },
  { description: 'An organisation; `role` is the caller’s role in it. Plan limits are read-only here (see updateOrganisationPlanLimits).' },
);
export type OrganisationWire = Static<typeof OrganisationSchema>;

const OrganisationWrite = {
  name: Type.String({ minLength: 1, maxLength: 2000, description: 'Organisation name.' }),
  persist_trait_data: Type.Optional(Type.Boolean({ description: 'Whether traits sent by SDKs are stored (default true).' })),
};

/** A member of an organisation (Flagsmith's `UserListSerializer` plus `role`). */
export const OrganisationUserSchema = Type.Object(
  {
    id: Type.Integer(),
    uuid: Type.String(),
    email: Type.String(),
    first_name: Type.String(),
    last_name: Type.String(),
    role: RoleSchema,
    date_joined: Timestamp,
  },
  { description: 'A user who belongs to the organisation, with their role in it.' },
);
export type OrganisationUserWire = Static<typeof OrganisationUserSchema>;

/** An organisation API key (Flagsmith's master API key); the secret `key` appears only in the creation answer. */
export const OrganisationApiKeySchema = Type.Object(
  {
    id: Type.Integer(),
    prefix: Type.String({ description: 'Public part of the key; identifies it in URLs and lists.' }),
    name: Type.String(),
    is_admin: Type.Boolean({ description: 'Admin keys act as an organisation admin; others as a member without grants.' }),
    revoked: Type.Boolean(),
    created: Timestamp,
    expiry_date: Nullable(Timestamp),
    expires_at: Nullable(Timestamp),
    has_expired: Type.Boolean(),
  },
  { description: 'An organisation API key, used as `Authorization: Api-Key <key>`. Only its SHA-256 hash is stored.' },
);
export type OrganisationApiKeyWire = Static<typeof OrganisationApiKeySchema>;

const OrgPk = Type.Object({ organisation_pk: IdParam });

export const organisationRoutes = defineRoutes({
  listOrganisations: {
    method: 'GET',
    url: '/api/v1/organisations/',
    summary: 'Organisations the caller belongs to.',
    tag: 'organisations',
    auth: 'admin',
    querystring: Type.Object(PageQuery),
    successStatus: 200,
    response: Paginated(OrganisationSchema),
    errors: ['UNAUTHENTICATED'],
  },
  createOrganisation: {
    method: 'POST',
    url: '/api/v1/organisations/',
    summary: 'Create an organisation; the signed-in user becomes its admin. API keys cannot create organisations.',
    tag: 'organisations',
    auth: 'admin',
    body: Type.Object(OrganisationWrite),
    successStatus: 201,
    response: OrganisationSchema,
    errors: ['VALIDATION_FAILED', 'PERMISSION_DENIED'],
  },
  getOrganisation: {
    method: 'GET',
    url: '/api/v1/organisations/:id/',
    summary: 'One organisation the caller belongs to.',
    tag: 'organisations',
    auth: 'admin',
    params: Type.Object({ id: IdParam }),
    successStatus: 200,
    response: OrganisationSchema,
    errors: ['NOT_FOUND'],
  },
  updateOrganisation: {
    method: 'PUT',
    url: '/api/v1/organisations/:id/',
    summary: 'Replace an organisation’s settings (organisation admin).',
    tag: 'organisations',
    auth: 'admin',
    params: Type.Object({ id: IdParam }),
    body: Type.Object(OrganisationWrite),
    successStatus: 200,
    response: OrganisationSchema,
    errors: ['NOT_FOUND', 'PERMISSION_DENIED', 'VALIDATION_FAILED'],
  },
  partialUpdateOrganisation: {
    method: 'PATCH',
    url: '/api/v1/organisations/:id/',
    summary: 'Change some of an organisation’s settings (organisation admin).',
    tag: 'organisations',
    auth: 'admin',
    params: Type.Object({ id: IdParam }),
    body: Type.Partial(Type.Object(OrganisationWrite)),
    successStatus: 200,
    response: OrganisationSchema,
    errors: ['NOT_FOUND', 'PERMISSION_DENIED', 'VALIDATION_FAILED'],
  },
  deleteOrganisation: {
    method: 'DELETE',
    url: '/api/v1/organisations/:id/',
    summary: 'Delete an organisation with all its projects, environments and flags (organisation admin).',
    tag: 'organisations',
    auth: 'admin',
    params: Type.Object({ id: IdParam }),
    successStatus: 204,
    response: NoContent,
    errors: ['NOT_FOUND', 'PERMISSION_DENIED'],
  },
  updateOrganisationPlanLimits: {
    method: 'PATCH',
    url: '/api/v1/organisations/:id/plan-limits/',
    summary: 'Set the organisation’s plan and plan limits (organisation admin). Flagdesk addition: Flagsmith takes them from billing.',
    tag: 'organisations',
    auth: 'admin',
    params: Type.Object({ id: IdParam }),
    body: Type.Object({
      plan_name: Type.Optional(Type.String({ minLength: 1, maxLength: 100, description: 'Plan name.' })),
      max_segment_overrides_per_environment: Type.Optional(Type.Integer({ minimum: 0, maximum: 1000000, description: 'Segment overrides allowed per environment.' })),
      feature_history_visibility_days: Type.Optional(Nullable(Type.Integer({ minimum: 1, maximum: 36500, description: 'Days of visible version history; null for unlimited.' }))),
    }),
    successStatus: 200,
    response: OrganisationSchema,
    errors: ['NOT_FOUND', 'PERMISSION_DENIED', 'VALIDATION_FAILED'],
  },

  listOrganisationUsers: {
    method: 'GET',
    url: '/api/v1/organisations/:organisation_pk/users/',
    summary: 'Members of the organisation with their roles (any member may list them).',
    tag: 'organisations',
    auth: 'admin',
    params: OrgPk,
    successStatus: 200,
    response: Type.Array(OrganisationUserSchema),
    errors: ['NOT_FOUND'],
  },
  createOrganisationUser: {
    method: 'POST',
    url: '/api/v1/organisations/:organisation_pk/users/',
    summary:
      'Add a user to the organisation (organisation admin). With `password`, creates a new account; without it, adds the existing account with this email. Flagdesk addition: Flagsmith invites by email.',
    tag: 'organisations',
    auth: 'admin',
    params: OrgPk,
    body: Type.Object({
      email: Type.String({ minLength: 3, maxLength: 254, format: 'email', description: 'Email of the user (case-insensitive).' }),
      password: Type.Optional(Type.String({ minLength: 8, maxLength: 1024, description: 'Password of a new account, at least 8 characters; omit to add an existing user.' })),
      first_name: Type.Optional(Type.String({ maxLength: 150 })),
      last_name: Type.Optional(Type.String({ maxLength: 150 })),
      role: Type.Optional(RoleSchema),
    }),
    successStatus: 201,
    response: OrganisationUserSchema,
    errors: ['NOT_FOUND', 'PERMISSION_DENIED', 'VALIDATION_FAILED'],
  },
  updateOrganisationUserRole: {
    method: 'POST',
    url: '/api/v1/organisations/:organisation_pk/users/:user_id/update-role/',
    summary: 'Change a member’s role (organisation admin). The last admin cannot be demoted.',
    tag: 'organisations',
    auth: 'admin',
    params: Type.Object({ organisation_pk: IdParam, user_id: IdParam }),
    body: Type.Object({ role: RoleSchema }),
    successStatus: 200,
    response: OrganisationUserSchema,
    errors: ['NOT_FOUND', 'PERMISSION_DENIED', 'PRECONDITION_FAILED'],
  },
  removeOrganisationUsers: {
    method: 'POST',
    url: '/api/v1/organisations/:id/remove-users/',
    summary: 'Remove members from the organisation, with their project and environment permissions (organisation admin). The last admin cannot be removed.',
    tag: 'organisations',
    auth: 'admin',
    params: Type.Object({ id: IdParam }),
    body: Type.Array(Type.Object({ id: IdParam }), { minItems: 1, maxItems: 1000, description: 'Users to remove, as `[{id}]`.' }),
    successStatus: 200,
    response: Type.Array(Type.Object({ id: Type.Integer() })),
    errors: ['NOT_FOUND', 'PERMISSION_DENIED', 'VALIDATION_FAILED', 'PRECONDITION_FAILED'],
  },

  listOrganisationApiKeys: {
    method: 'GET',
    url: '/api/v1/organisations/:organisation_pk/master-api-keys/',
    summary: 'The organisation’s API keys that are not revoked (organisation admin).',
    tag: 'organisations',
    auth: 'admin',
    params: OrgPk,
    querystring: Type.Object(PageQuery),
    successStatus: 200,
    response: Paginated(OrganisationApiKeySchema),
    errors: ['NOT_FOUND', 'PERMISSION_DENIED'],
  },
  createOrganisationApiKey: {
    method: 'POST',
    url: '/api/v1/organisations/:organisation_pk/master-api-keys/',
    summary: 'Create an organisation API key (organisation admin). The answer carries the full `key` once; it is never shown again.',
    tag: 'organisations',
    auth: 'admin',
    params: OrgPk,
    body: Type.Object({
      name: Type.String({ minLength: 1, maxLength: 200, description: 'What the key is for.' }),
      is_admin: Type.Optional(Type.Boolean({ description: 'Admin key (default true).' })),
      expiry_date: Type.Optional(Nullable(Timestamp)),
      expires_at: Type.Optional(Nullable(Type.String({ format: 'date-time', description: 'When the key stops working; alias of `expiry_date`.' }))),
    }),
    successStatus: 201,
    response: Type.Object({ ...OrganisationApiKeySchema.properties, key: Type.String({ description: '`<prefix>.<secret>`; shown only here.' }) }),
    errors: ['NOT_FOUND', 'PERMISSION_DENIED', 'VALIDATION_FAILED'],
  },
  revokeOrganisationApiKey: {
    method: 'DELETE',
    url: '/api/v1/organisations/:organisation_pk/master-api-keys/:prefix/',
    summary: 'Revoke an organisation API key (organisation admin); requests with it answer 401 from then on.',
    tag: 'organisations',
    auth: 'admin',
    params: Type.Object({ organisation_pk: IdParam, prefix: Type.String({ minLength: 1, maxLength: 64 }) }),
    successStatus: 204,
    response: NoContent,
    errors: ['NOT_FOUND', 'PERMISSION_DENIED'],
  },
});
