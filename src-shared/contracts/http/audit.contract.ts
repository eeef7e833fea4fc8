import { Type, type Static } from '@sinclair/typebox';
import { defineRoutes, IdParam, Nullable, PageQuery, Paginated, Timestamp } from './route-contract.js';

/** One audit-log entry, in Flagsmith's `AuditLogSerializer` shape (plus `uuid` and `related_object_uuid`). */
export const AuditLogSchema = Type.Object(
  {
    id: Type.Integer(),
    uuid: Type.String({ description: 'Stable identifier of the entry.' }),
    created_date: Timestamp,
    log: Type.String({ description: 'Human-readable message, e.g. `Flag state updated for feature: beta`.' }),
    author: Nullable(
      Type.Object(
        { id: Type.Integer(), email: Type.String(), first_name: Type.String(), last_name: Type.String() },
        { description: 'The user who made the change; null for API keys and system events.' },
      ),
    ),
    environment: Nullable(Type.Object({ id: Type.Integer(), name: Type.String(), api_key: Type.String() }, { description: 'null for entries outside an environment, or once it is deleted.' })),
    project: Nullable(Type.Object({ id: Type.Integer(), name: Type.String(), organisation: Type.Integer() }, { description: 'null for organisation-level entries, or once it is deleted.' })),
    related_object_id: Nullable(Type.Integer({ description: 'Id of the changed object; null for EF_VERSION entries.' })),
    related_object_uuid: Nullable(Type.String({ description: 'For EF_VERSION entries, the version uuid.' })),
    related_object_type: Type.String({ description: 'FEATURE, FEATURE_STATE, EF_VERSION, SEGMENT, ENVIRONMENT, PROJECT, ORGANISATION, IDENTITY, CHANGE_REQUEST, …' }),
    is_system_event: Type.Boolean({ description: 'True for entries written by the server itself (e.g. a scheduled change going live).' }),
  },
  { description: 'An audit-log entry. Entries are hash-chained per organisation; see getAuditLogIntegrity.' },
);
export type AuditLogWire = Static<typeof AuditLogSchema>;

const AuditQuery = {
  ...PageQuery,
  project: Type.Optional(Type.Integer({ minimum: 1, maximum: 2147483647, description: 'Only entries of this project (including its environments).' })),
  environments: Type.Optional(Type.Array(Type.Integer({ minimum: 1, maximum: 2147483647 }), { maxItems: 100, description: 'Only entries of these environments (repeat the parameter, at most 100 times).' })),
  is_system_event: Type.Optional(Type.Boolean({ description: 'Only system (true) or only user (false) entries.' })),
  search: Type.Optional(Type.String({ maxLength: 256, description: 'Case-insensitive substring of the log text.' })),
  from: Type.Optional(Type.String({ format: 'date-time', description: 'Only entries created at or after this time (ISO-8601). Flagdesk addition.' })),
  to: Type.Optional(Type.String({ format: 'date-time', description: 'Only entries created before this time (ISO-8601). Flagdesk addition.' })),
};

export const AuditIntegritySchema = Type.Object(
  {
    organisation_id: Type.Integer(),
    is_valid: Type.Boolean({ description: 'True when every entry links to its predecessor and its hash matches its content.' }),
    chain_length: Type.Integer({ description: 'Entries the organisation has appended to its chain.' }),
    checked_entries: Type.Integer({ description: 'Entries found and verified.' }),
    head_hash: Nullable(Type.String({ description: 'Hash of the newest entry, as recorded on the organisation.' })),
    first_broken: Nullable(
      Type.Object({
        id: Nullable(Type.Integer({ description: 'Audit entry id, when the break is at an existing entry.' })),
        chain_seq: Nullable(Type.Integer({ description: 'Position in the chain (1-based) where the break was found; null for an entry outside the chain.' })),
        reason: Type.Union(
          [Type.Literal('HASH_MISMATCH'), Type.Literal('LINK_MISMATCH'), Type.Literal('MISSING_ENTRY'), Type.Literal('UNCHAINED_ENTRY'), Type.Literal('HEAD_MISMATCH')],
          { description: 'HASH_MISMATCH: the entry was edited; LINK_MISMATCH / MISSING_ENTRY: an entry before it was removed or replaced; UNCHAINED_ENTRY: written around the chain; HEAD_MISMATCH: the newest entries were removed.' },
        ),
        detail: Type.String(),
      }),
    ),
  },
  { description: 'Result of verifying the organisation audit-log hash chain (Flagdesk addition).' },
);

export const auditRoutes = defineRoutes({
  listAuditLogs: {
    method: 'GET',
    url: '/api/v1/audit/',
    summary: 'Audit-log entries the caller may read (organisations they administer, projects where they hold VIEW_AUDIT_LOG), newest first.',
    tag: 'audit',
    auth: 'admin',
    querystring: Type.Object(AuditQuery),
    successStatus: 200,
    response: Paginated(AuditLogSchema),
    errors: ['NOT_FOUND', 'PERMISSION_DENIED', 'VALIDATION_FAILED'],
  },
  getAuditLog: {
    method: 'GET',
    url: '/api/v1/audit/:id/',
    summary: 'One audit-log entry.',
    tag: 'audit',
    auth: 'admin',
    params: Type.Object({ id: IdParam }),
    successStatus: 200,
    response: AuditLogSchema,
    errors: ['NOT_FOUND'],
  },
  listProjectAuditLogs: {
    method: 'GET',
    url: '/api/v1/projects/:project_pk/audit/',
    summary: "A project's audit-log entries, newest first (organisation admin or VIEW_AUDIT_LOG on the project).",
    tag: 'audit',
    auth: 'admin',
    params: Type.Object({ project_pk: IdParam }),
    querystring: Type.Object({ ...AuditQuery, project: Type.Optional(Type.Integer({ minimum: 1, maximum: 2147483647, description: 'Ignored; the path names the project.' })) }),
    successStatus: 200,
    response: Paginated(AuditLogSchema),
    errors: ['NOT_FOUND', 'PERMISSION_DENIED'],
  },
  listOrganisationAuditLogs: {
    method: 'GET',
    url: '/api/v1/organisations/:organisation_pk/audit/',
    summary: "An organisation's audit-log entries, newest first (organisation admins only), with the same filters as /audit/.",
    tag: 'audit',
    auth: 'admin',
    params: Type.Object({ organisation_pk: IdParam }),
    querystring: Type.Object(AuditQuery),
    successStatus: 200,
    response: Paginated(AuditLogSchema),
    errors: ['NOT_FOUND', 'PERMISSION_DENIED'],
  },
  getAuditLogIntegrity: {
    method: 'GET',
    url: '/api/v1/organisations/:organisation_pk/audit-log-integrity/',
    summary: "Verifies the organisation's audit hash chain and reports the first broken entry (organisation admin; Flagdesk addition).",
    tag: 'audit',
    auth: 'admin',
    params: Type.Object({ organisation_pk: IdParam }),
    successStatus: 200,
    response: AuditIntegritySchema,
    errors: ['NOT_FOUND', 'PERMISSION_DENIED'],
  },
});
