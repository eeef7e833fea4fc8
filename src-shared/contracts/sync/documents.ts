import { Type, type Static, type TObject, type TProperties } from '@sinclair/typebox';
import { ChangeRequestSchema } from '../http/change-requests.contract.js';

/*
 * Shapes of the replicated documents (D6), one TypeBox schema per collection. They are the wire shape of
 * the sync endpoints and, through `toRxJsonSchema`, the RxDB collection schemas of the replica (D1).
 * Conventions RxDB imposes: the primary key `id` is a string with a maxLength; indexed fields are
 * required, strings with maxLength and integers with minimum/maximum; no `format`. A pulled document
 * also carries RxDB's `_deleted` (true for a tombstone: the object was deleted or moved out of the
 * collection, e.g. a draft once published). Every document has `seq`: the change sequence of the server
 * version it is (the server's revision; pushes that assume an older one may conflict).
 */

/** Ids of server rows as they appear in the Admin API. */
const Pk = Type.Integer({ minimum: 1, maximum: 2147483647 });
const Uuid = Type.String({ minLength: 1, maxLength: 64 });
const Seq = Type.Integer({ minimum: 0, maximum: Number.MAX_SAFE_INTEGER, description: 'Change sequence of this server version of the document.' });
/** ISO-8601 UTC text (no `format`: RxDB schemas take none). */
const Time = Type.String({ maxLength: 40 });
const NullableOf = <T extends Parameters<typeof Type.Union>[0][number]>(t: T) => Type.Union([Type.Null(), t]);

function doc<P extends TProperties>(properties: P, description: string): TObject<P & { id: typeof Uuid; seq: typeof Seq }> {
  return Type.Object({ id: Uuid, seq: Seq, ...properties }, { description, additionalProperties: false });
}

export const OrganisationDocSchema = doc(
  {
    pk: Pk,
    name: Type.String(),
    planName: Type.String(),
    persistTraitData: Type.Boolean(),
    stopServingFlags: Type.Boolean(),
    maxSegmentOverridesPerEnvironment: Type.Integer(),
    featureHistoryVisibilityDays: NullableOf(Type.Integer()),
    createdAt: Time,
  },
  'An organisation the user belongs to.',
);

export const ProjectDocSchema = doc(
  { pk: Pk, organisationId: Pk, name: Type.String(), hideDisabledFlags: Type.Boolean(), createdAt: Time },
  'A project the user can view.',
);

export const EnvironmentDocSchema = doc(
  {
    pk: Pk,
    organisationId: Pk,
    projectId: Pk,
    name: Type.String(),
    description: NullableOf(Type.String()),
    apiKey: Type.String(),
    useV2FeatureVersioning: Type.Boolean(),
    versioningStatus: Type.String({ description: '`v1`, `enabling`, `v2`, `disabling` or `failed`.' }),
    versioningProgress: NullableOf(Type.Object({ done: Type.Integer(), total: Type.Integer() })),
    minimumChangeRequestApprovals: NullableOf(Type.Integer()),
    allowClientTraits: Type.Boolean(),
    hideDisabledFlags: NullableOf(Type.Boolean()),
    createdAt: Time,
    updatedAt: Time,
  },
  'An environment the user can view.',
);

const TypedValue = Type.Object({
  type: Type.Union([Type.Literal('unicode'), Type.Literal('int'), Type.Literal('bool')]),
  string_value: NullableOf(Type.String()),
  integer_value: NullableOf(Type.Integer()),
  boolean_value: NullableOf(Type.Boolean()),
});

export const MultivariateOptionDocSchema = Type.Object({
  pk: Pk,
  uuid: Uuid,
  type: Type.Union([Type.Literal('unicode'), Type.Literal('int'), Type.Literal('bool')]),
  stringValue: NullableOf(Type.String()),
  integerValue: NullableOf(Type.Integer()),
  booleanValue: NullableOf(Type.Boolean()),
  defaultPercentageAllocation: Type.Number(),
});

export const FeatureDocSchema = doc(
  {
    pk: Pk,
    organisationId: Pk,
    projectId: Pk,
    name: Type.String({ maxLength: 2000 }),
    type: Type.Union([Type.Literal('STANDARD'), Type.Literal('MULTIVARIATE')]),
    initialValue: NullableOf(Type.String()),
    defaultEnabled: Type.Boolean(),
    description: NullableOf(Type.String()),
    isArchived: Type.Boolean(),
    isServerKeyOnly: Type.Boolean(),
    createdAt: Time,
    multivariateOptions: Type.Array(MultivariateOptionDocSchema, { description: 'Ordered by id.' }),
  },
  'A feature of a project the user can view, with its multivariate options.',
);

export const SegmentDocSchema = doc(
  {
    pk: Pk,
    organisationId: Pk,
    projectId: Pk,
    featureId: NullableOf(Pk),
    name: Type.String(),
    description: NullableOf(Type.String()),
    rules: Type.Array(Type.Unknown(), { description: 'The rules tree as the Admin API gives it.' }),
    createdAt: Time,
    updatedAt: Time,
  },
  'A segment of a project the user can view.',
);

const FlagState = Type.Object({
  enabled: Type.Boolean(),
  value: TypedValue,
  multivariateWeights: Type.Object({}, { additionalProperties: Type.Number(), description: 'Option id → percentage.' }),
});

/** `VersionContent` of src-shared/domain/versioning: the environment default and the overrides by segment id. */
export const VersionContentSchema = Type.Object({
  environmentDefault: FlagState,
  segmentOverrides: Type.Object({}, { additionalProperties: Type.Object({ ...FlagState.properties, priority: Type.Number() }), description: 'Segment id → override.' }),
});

const versionScope = { organisationId: Pk, projectId: Pk, environmentId: Pk, featureId: Pk };

export const VersionDocSchema = doc(
  {
    ...versionScope,
    status: Type.Union([Type.Literal('published'), Type.Literal('scheduled'), Type.Literal('conflict')]),
    description: NullableOf(Type.String()),
    content: VersionContentSchema,
    contentHash: Type.String(),
    baseVersionUuid: NullableOf(Type.String()),
    previousVersionUuid: NullableOf(Type.String()),
    conflicts: NullableOf(Type.Array(Type.Unknown())),
    liveFrom: NullableOf(Time),
    liveSeq: NullableOf(Type.Integer()),
    publishedAt: NullableOf(Time),
    publishedByUserId: NullableOf(Type.Integer()),
    createdByUserId: NullableOf(Type.Integer()),
    createdAt: Time,
    updatedAt: Time,
  },
  'A published, scheduled or conflicted version of a feature in an environment the user can view (immutable once published; pull only). Its content is its feature states.',
);

/** Why the server refused a pushed document, on the master state it answers with. */
export const SyncRefusalSchema = Type.Object({ code: Type.String(), message: Type.String() });

export const DraftDocSchema = doc(
  {
    ...versionScope,
    description: NullableOf(Type.String()),
    baseVersionUuid: NullableOf(Type.String()),
    state: Type.String({ description: 'Base64 Yjs update: the whole merged state of the draft document (D7).' }),
    content: VersionContentSchema,
    createdByUserId: NullableOf(Type.Integer()),
    createdAt: Time,
    updatedAt: Time,
    error: NullableOf(SyncRefusalSchema),
  },
  'A draft version: a Yjs document. A push carries the replica\'s Yjs state in `state`; the server merges it into its own and materialises `content`.',
);

export const ChangeRequestDocSchema = doc(
  {
    pk: Pk,
    organisationId: Pk,
    projectId: Pk,
    environmentId: Pk,
    changeRequest: ChangeRequestSchema,
  },
  'A change request of an environment the user can view (pull only; approve and commit are intents), as the Admin API answers it. Its status and conflicts are computed when it changes; a version published since may have made it stale (the replica can tell from `versions`).',
);

export const IntentKind = { PUBLISH: 'publish', SCHEDULE: 'schedule', APPROVE: 'approve', COMMIT: 'commit' } as const;
export const IntentStatus = { PENDING: 'pending', DONE: 'done', REFUSED: 'refused', CONFLICT: 'conflict' } as const;

export const IntentResultSchema = Type.Object({
  code: Type.String({ description: '`OK`, or the error code that refused it (`PRECONDITION_FAILED`, `PERMISSION_DENIED`, `NOT_FOUND`, `VALIDATION_FAILED`, `NOT_SUPPORTED`).' }),
  message: Type.String(),
  versionUuid: NullableOf(Type.String()),
  conflicts: NullableOf(Type.Array(Type.Unknown())),
  executedAt: Time,
});

export const IntentDocSchema = doc(
  {
    kind: Type.Union([Type.Literal('publish'), Type.Literal('schedule'), Type.Literal('approve'), Type.Literal('commit')]),
    organisationId: NullableOf(Pk),
    projectId: NullableOf(Pk),
    environmentId: Pk,
    featureId: NullableOf(Pk),
    versionUuid: NullableOf(Type.String({ maxLength: 64 })),
    changeRequestId: NullableOf(Pk),
    liveFrom: NullableOf(Time),
    createdAt: Time,
    status: Type.Union([Type.Literal('pending'), Type.Literal('done'), Type.Literal('refused'), Type.Literal('conflict')]),
    result: NullableOf(IntentResultSchema),
  },
  'A command queued by a replica (publish or schedule a draft, approve or commit a change request). Pushed as `pending`; the server runs it on arrival, re-checking everything, and answers with its status and result.',
);

export type OrganisationDoc = Static<typeof OrganisationDocSchema>;
export type ProjectDoc = Static<typeof ProjectDocSchema>;
export type EnvironmentDoc = Static<typeof EnvironmentDocSchema>;
export type FeatureDoc = Static<typeof FeatureDocSchema>;
export type SegmentDoc = Static<typeof SegmentDocSchema>;
export type VersionDoc = Static<typeof VersionDocSchema>;
export type DraftDoc = Static<typeof DraftDocSchema>;
export type IntentDoc = Static<typeof IntentDocSchema>;
export type ChangeRequestDoc = Static<typeof ChangeRequestDocSchema>;
export type IntentResult = Static<typeof IntentResultSchema>;
