import { createHash } from 'node:crypto';
import type { Db, DbExecutor } from '../../platform/database/database.js';
import type { Clock } from '../../platform/clock/clock.js';
import { generateUuid } from '../../platform/security/secrets.js';
import { isUniqueViolation } from '../../platform/database/unique-violation.js';
import { EnvironmentPermission } from '../../../src-shared/domain/permissions/permissions.js';
import { AppError, notFound, validationFailed } from '../../../src-shared/errors/app-error.js';
import { featureStateValueOf, inferFeatureStateValue, type FlagValue } from '../../../src-shared/domain/flags/feature-state-value.rules.js';
import { comparePythonStrings, pythonStr } from '../../../src-shared/domain/evaluation/python-values.js';
import { getIdentityFeatureStates, identityHashKey } from '../../../src-shared/domain/evaluation/index.js';
import type { EnvironmentDocument } from '../../../src-shared/contracts/sdk/environment-document.schema.js';
import { ErrorCode } from '../../../src-shared/errors/error-codes.js';
import {
  TraitValueType,
  type IdentityAllFeatureStateWire,
  type IdentityFeatureStateListItemWire,
  type IdentityFeatureStateWire,
  type IdentityWire,
  type TraitWire,
} from '../../../src-shared/contracts/http/identities.contract.js';
import type { Principal } from '../access/principal.js';
import type { AccessService } from '../access/access.service.js';
import { AuditObjectType, type AuditService } from '../audit/audit.service.js';
import type { EventsService } from '../webhooks/events.service.js';
import type { FeatureRef, FeaturesService } from '../features/features.service.js';
import { bumpDocumentRevision } from '../sdk/document-revision.js';
import type { IdentitiesStore, IdentityOverrideRecord, IdentityRecord, TraitRecord } from './identities.store.js';
import { checkTraitValue, decodeTraitValue, encodeTraitValue, type TraitValue, type TypedTraitValue } from './trait-value.js';

export type { TraitValue, TypedTraitValue } from './trait-value.js';

/** Trait fields of an Admin API write: `trait_value`, or Flagsmith's `value_type` plus its column. */
export interface TraitInput {
  trait_key?: string | undefined;
  trait_value?: unknown;
  value_type?: TraitValueType | undefined;
  integer_value?: unknown;
  string_value?: unknown;
  boolean_value?: unknown;
  float_value?: unknown;
}

/** Override fields of an Admin API write. */
export interface OverrideInput {
  feature?: number | undefined;
  enabled?: boolean | undefined;
  /** String, integer, boolean or null; validated here (the schema leaves it untyped to avoid coercion). */
  feature_state_value?: unknown;
}

/** A trait an SDK sends with an identify call. */
export interface SdkTraitInput {
  trait_key: string;
  /** Null deletes the trait (Flagsmith's way of unsetting one). */
  trait_value: TraitValue | null;
  /** A transient trait is used for this evaluation only and never stored. */
  transient?: boolean | undefined;
}

/** An identity override as the SDK module and the evaluation engine need it. */
export interface IdentityOverride {
  /** The feature state's id and uuid (`featurestate_uuid` in the environment document). */
  id: number;
  uuid: string;
  featureId: number;
  enabled: boolean;
  value: FlagValue;
  multivariateValues: { id: number; optionId: number; percentageAllocation: number }[];
  updatedAt: string;
}

/** A trait as the SDK module and the evaluation engine need it. */
export interface IdentityTrait {
  trait_key: string;
  trait_value: TraitValue;
}

/** A stored identity, as the SDK module needs it. */
export interface StoredIdentity {
  id: number;
  uuid: string;
  identifier: string;
  environmentId: number;
  createdAt: string;
}

export interface IdentifyResult {
  /**
   * The identity evaluated. `id` and `uuid` are null for a transient identity that is not stored (the
   * identifier is what hashing uses, so evaluation does not need them).
   */
  identity: { id: number | null; uuid: string | null; identifier: string; environmentId: number; createdAt: string };
  /** Whether this call stored a new identity. */
  isNew: boolean;
  /** The traits to evaluate with (see `identifyWithTraits`), in stored order, then new keys in call order. */
  traits: IdentityTrait[];
  /** The identity's overrides; none for an identity that is not stored. */
  overrides: IdentityOverride[];
}

/**
 * Identities of an environment, their traits and their identity overrides (Flagsmith's core identities).
 *
 * Admin API: VIEW_IDENTITIES reads, MANAGE_IDENTITIES writes; an identity of another environment (or an
 * environment the caller cannot see) is NOT_FOUND. Every write is one transaction with its audit entry.
 * Override writes also emit FLAG_UPDATED / FLAG_DELETED and bump the environment's document revision
 * (the environment document carries identity overrides for local evaluation). Identity overrides are
 * live at once, outside versions, on v1 and v2 environments alike.
 *
 * The SDK module uses the methods below the Admin ones; they do not authorise (the SDK key has been
 * checked) and write no audit entries (Flagsmith does not audit identify calls).
 */
export interface IdentitiesService {
  list(p: Principal, apiKey: string, filter: { q?: string | undefined }, page: { offset: number; limit: number }): Promise<{ total: number; items: IdentityWire[] }>;
  create(p: Principal, apiKey: string, input: { identifier: string }): Promise<IdentityWire>;
  get(p: Principal, apiKey: string, id: number): Promise<IdentityWire>;
  remove(p: Principal, apiKey: string, id: number): Promise<void>;

  listTraits(p: Principal, apiKey: string, identityId: number): Promise<TraitWire[]>;
  createTrait(p: Principal, apiKey: string, identityId: number, input: TraitInput & { trait_key: string }): Promise<TraitWire>;
  getTrait(p: Principal, apiKey: string, identityId: number, id: number): Promise<TraitWire>;
  /** PUT (`partial: false`: key and value required) or PATCH. */
  updateTrait(p: Principal, apiKey: string, identityId: number, id: number, input: TraitInput, partial: boolean): Promise<TraitWire>;
  /** `allMatching`: delete the key from every identity of the environment (Flagsmith's `deleteAllMatchingTraits`). */
  deleteTrait(p: Principal, apiKey: string, identityId: number, id: number, options: { allMatching: boolean }): Promise<void>;

  listOverrides(p: Principal, apiKey: string, identityId: number, filter: { feature?: number | undefined }, page: { offset: number; limit: number }): Promise<{ total: number; items: IdentityFeatureStateListItemWire[] }>;
  /** Without `feature_state_value`, the override starts from the feature's initial value (as in Flagsmith). */
  createOverride(p: Principal, apiKey: string, identityId: number, input: OverrideInput & { feature: number }): Promise<IdentityFeatureStateWire>;
  getOverride(p: Principal, apiKey: string, identityId: number, id: number): Promise<IdentityFeatureStateWire>;
  /** PUT and PATCH alike: omitted fields keep their value, as Flagsmith's feature-state update does. */
  updateOverride(p: Principal, apiKey: string, identityId: number, id: number, input: OverrideInput): Promise<IdentityFeatureStateWire>;
  removeOverride(p: Principal, apiKey: string, identityId: number, id: number): Promise<void>;
  /**
   * Every feature as the identity sees it (Flagsmith's `featurestates/all/`): evaluated by the engine on
   * the environment's current SDK document with the identity's stored traits, disabled flags included.
   */
  allFeatureStates(p: Principal, apiKey: string, identityId: number): Promise<IdentityAllFeatureStateWire[]>;

  /**
   * The SDK's identify (`GET/POST /api/v1/identities/`), as Flagsmith's `IdentifyWithTraitsSerializer`
   * and `environments/identities/services.py` do it:
   * - stored identity (default): found or created. With `persist` (the organisation persists trait data
   *   and the key may set traits) a null value deletes the trait, other non-transient traits are upserted,
   *   and the result is the stored traits merged with this call's transient ones. Without `persist`
   *   nothing but the identity is stored and the result is the stored traits merged with this call's.
   * - `isTransientIdentity` (SDK `transient: true`): nothing is written; an existing identity contributes
   *   its stored traits (merged with this call's) and its overrides, an unknown one evaluates with this
   *   call's traits only.
   * - `identifier` null or empty: a fully transient identity; its identifier is the SHA-256 of the sorted
   *   traits (Flagsmith's `get_transient_identifier`), or a random one without traits.
   * Merging means a key of this call replaces the stored value; null values only ever delete. Traits are
   * validated first: a bad one throws VALIDATION_FAILED naming `body/traits/<i>/trait_value` (or
   * `trait_key`) and nothing is written.
   */
  identifyWithTraits(
    environmentId: number,
    identifier: string | null,
    traits: readonly SdkTraitInput[],
    options: {
      persist: boolean;
      isTransientIdentity?: boolean | undefined;
      /** False: leave `overrides` empty (the SDK module evaluates overrides from the environment document). */
      withOverrides?: boolean | undefined;
    },
  ): Promise<IdentifyResult>;
  /** The identity with this identifier, or undefined (no creation). */
  findByIdentifier(environmentId: number, identifier: string, ex?: DbExecutor): Promise<StoredIdentity | undefined>;
  /** Stored traits of an identity of the environment, by id (empty for an unknown identity). */
  traitsOf(environmentId: number, identityId: number, ex?: DbExecutor): Promise<IdentityTrait[]>;
  /** Overrides of an identity of the environment, by feature id (empty for an unknown identity). */
  overridesOf(environmentId: number, identityId: number, ex?: DbExecutor): Promise<IdentityOverride[]>;
  /**
   * Every identity that has overrides in the environment, with its overrides, by identity id: the
   * `identity_overrides` of the environment document.
   */
  identityOverridesOfEnvironment(environmentId: number, ex?: DbExecutor): Promise<{ identityId: number; identityUuid: string; identifier: string; overrides: IdentityOverride[] }[]>;
}

type Scope = Awaited<ReturnType<AccessService['assertEnvironment']>>;

/**
 * Where `allFeatureStates` gets the environment document: the SDK service's `environmentDocument`, so
 * the Admin view and the SDKs evaluate the same data (structurally typed: the SDK module depends on this
 * one, not the other way round).
 */
export interface EnvironmentDocumentSource {
  /** The environment's current SDK document (the SDK module's cache); the caller has authorised access. */
  documentForAdmin(environmentId: number): Promise<EnvironmentDocument>;
}

/** Flagsmith's `audit.constants` messages for identity overrides. */
const IDENTITY_FEATURE_STATE_UPDATED_MESSAGE = (feature: string, identifier: string) => `Flag state / Remote config value updated for feature '${feature}' and identity '${identifier}'`;
const IDENTITY_FEATURE_STATE_DELETED_MESSAGE = (feature: string, identifier: string) => `Flag state / Remote config value deleted for feature '${feature}' and identity '${identifier}'`;

/** Flagsmith's `trait_key` column holds 200 characters. */
const MAX_TRAIT_KEY_LENGTH = 200;

/**
 * `extra` over `stored` by key, as Flagsmith merges traits in a dict: a replaced key keeps its place,
 * new keys follow in their order.
 */
type TraitWrite = { kind: 'delete'; id: number } | { kind: 'update'; id: number; valueJson: string } | { kind: 'insert'; key: string; valueJson: string };

/**
 * The writes that bring the stored traits to what an identify call sends (its non-transient traits, in
 * call order: a null value deletes, another value sets), and none for a trait that already holds its
 * value. A key sent twice ends as its last mention says.
 */
function traitWritesOf(stored: readonly TraitRecord[], sent: readonly { key: string; value: TypedTraitValue | null; isTransient: boolean }[]): TraitWrite[] {
  const target = new Map<string, string | null>();
  for (const t of sent) if (!t.isTransient) target.set(t.key, t.value === null ? null : encodeTraitValue(t.value));
  const byKey = new Map(stored.map((t) => [t.traitKey, t]));
  const writes: TraitWrite[] = [];
  for (const [key, valueJson] of target) {
    const existing = byKey.get(key);
    if (valueJson === null) {
      if (existing) writes.push({ kind: 'delete', id: existing.id });
    } else if (!existing) writes.push({ kind: 'insert', key, valueJson });
    else if (existing.valueJson !== valueJson) writes.push({ kind: 'update', id: existing.id, valueJson });
  }
  return writes;
}

function mergeTraits(stored: readonly IdentityTrait[], extra: readonly IdentityTrait[]): IdentityTrait[] {
  const merged = new Map<string, TraitValue>(stored.map((t) => [t.trait_key, t.trait_value]));
  for (const t of extra) merged.set(t.trait_key, t.trait_value);
  return [...merged].map(([trait_key, trait_value]) => ({ trait_key, trait_value }));
}

/**
 * Flagsmith's `get_transient_identifier`: SHA-256 of the non-null traits as `<key><str(value)>`, sorted
 * by key, so the same traits bucket the same way in percentage splits; random without traits.
 */
function transientIdentifier(traits: readonly { key: string; value: TypedTraitValue | null }[]): string {
  const present = traits.filter((t) => t.value !== null).sort((a, b) => comparePythonStrings(a.key, b.key));
  if (present.length === 0) return generateUuid().replaceAll('-', '');
  return createHash('sha256')
    .update(present.map((t) => `${t.key}${pythonStr(t.value?.value)}`).join(''))
    .digest('hex');
}

/** Flagsmith's `string_value` column of a feature state holds 20000 characters. */
const MAX_FLAG_STRING_LENGTH = 20000;

export function toIdentityWire(r: IdentityRecord): IdentityWire {
  return { id: r.id, identifier: r.identifier, environment: r.environmentId };
}

function traitColumns(t: TypedTraitValue): Pick<TraitWire, 'value_type' | 'integer_value' | 'string_value' | 'boolean_value' | 'float_value'> {
  return {
    value_type: t.type,
    integer_value: t.type === TraitValueType.INTEGER ? (t.value as number) : null,
    string_value: t.type === TraitValueType.STRING ? (t.value as string) : null,
    boolean_value: t.type === TraitValueType.BOOLEAN ? (t.value as boolean) : null,
    float_value: t.type === TraitValueType.FLOAT ? (t.value as number) : null,
  };
}

export function toTraitWire(r: TraitRecord): TraitWire {
  const typed = decodeTraitValue(r.valueJson);
  return { id: r.id, trait_key: r.traitKey, ...traitColumns(typed), trait_value: typed.value, created_date: r.createdAt };
}

function overrideValue(r: IdentityOverrideRecord): FlagValue {
  return featureStateValueOf({ value_type: r.value.type, string_value: r.value.string_value, integer_value: r.value.integer_value, boolean_value: r.value.boolean_value });
}

function overrideWireFields(r: IdentityOverrideRecord) {
  return {
    id: r.id,
    uuid: r.uuid,
    feature: r.featureId,
    environment: r.environmentId,
    feature_segment: null,
    enabled: r.enabled,
    feature_state_value: overrideValue(r),
    multivariate_feature_state_values: r.multivariateValues.map((m) => ({ id: m.id, multivariate_feature_option: m.optionId, percentage_allocation: m.percentageAllocation })),
    version: r.version,
    live_from: r.liveFrom,
    change_request: null,
    environment_feature_version: null,
    created_at: r.createdAt,
    updated_at: r.updatedAt,
  };
}

export function toIdentityFeatureStateWire(r: IdentityOverrideRecord): IdentityFeatureStateWire {
  return { ...overrideWireFields(r), identity: r.identityId };
}

function toOverride(r: IdentityOverrideRecord): IdentityOverride {
  return { id: r.id, uuid: r.uuid, featureId: r.featureId, enabled: r.enabled, value: overrideValue(r), multivariateValues: r.multivariateValues, updatedAt: r.updatedAt };
}

/** A quoted search is an exact match, anything else a case-insensitive substring (Flagsmith's `q`). */
function identitySearch(q: string | undefined): { contains?: string; exact?: string } {
  if (q === undefined || q === '') return {};
  if (q.length >= 2 && q.startsWith('"') && q.endsWith('"')) return { exact: q.replaceAll('"', '') };
  return { contains: q };
}

const TRAIT_COLUMN: Record<TraitValueType, 'integer_value' | 'string_value' | 'boolean_value' | 'float_value'> = {
  [TraitValueType.INTEGER]: 'integer_value',
  [TraitValueType.STRING]: 'string_value',
  [TraitValueType.BOOLEAN]: 'boolean_value',
  [TraitValueType.FLOAT]: 'float_value',
};

/** The typed value of an Admin trait write, or undefined when it gives none. */
function traitValueOf(input: TraitInput): TypedTraitValue | undefined {
  if (input.trait_value !== undefined) {
    const checked = checkTraitValue(input.trait_value);
    if (!checked.ok) throw validationFailed('body/trait_value', checked.message);
    return checked.value;
  }
  const columnGiven = Object.values(TRAIT_COLUMN).some((c) => input[c] !== undefined && input[c] !== null);
  if (input.value_type === undefined && !columnGiven) return undefined;
  const type = input.value_type ?? TraitValueType.STRING;
  const column = TRAIT_COLUMN[type];
  const raw = input[column];
  const path = `body/${column}`;
  if (raw === undefined || raw === null) throw validationFailed(path, `is required when value_type is ${type}`);
  const checked = checkTraitValue(raw);
  if (!checked.ok) throw validationFailed(path, checked.message);
  const value = checked.value.value;
  switch (type) {
    case TraitValueType.INTEGER:
      if (checked.value.type !== TraitValueType.INTEGER) throw validationFailed(path, 'must be a 32-bit integer');
      return checked.value;
    case TraitValueType.FLOAT:
      if (typeof value !== 'number') throw validationFailed(path, 'must be a number');
      return { type, value };
    case TraitValueType.BOOLEAN:
    case TraitValueType.STRING:
      if (checked.value.type !== type) throw validationFailed(path, type === TraitValueType.BOOLEAN ? 'must be a boolean' : 'must be a string');
      return checked.value;
  }
}

function trimmedTraitKey(key: string): string {
  const trimmed = key.trim();
  if (!trimmed) throw validationFailed('body/trait_key', 'must not be blank');
  return trimmed;
}

/** A flag value from a request, typed the way Flagsmith stores untyped values. */
function flagValueOf(raw: unknown) {
  if (raw === null || typeof raw === 'boolean') return inferFeatureStateValue(raw);
  if (typeof raw === 'number' && Number.isFinite(raw)) return inferFeatureStateValue(raw);
  if (typeof raw === 'string') {
    if (raw.length > MAX_FLAG_STRING_LENGTH) throw validationFailed('body/feature_state_value', `must be at most ${MAX_FLAG_STRING_LENGTH} characters`);
    return inferFeatureStateValue(raw);
  }
  throw validationFailed('body/feature_state_value', 'must be a string, an integer, a boolean or null');
}

export function createIdentitiesService(deps: {
  db: Db;
  clock: Clock;
  store: IdentitiesStore;
  access: AccessService;
  audit: AuditService;
  events: EventsService;
  /** An override's feature is checked and named through it. */
  features: Pick<FeaturesService, 'findFeatureRef'>;
  /** Needed by `allFeatureStates` only. */
  documents?: EnvironmentDocumentSource;
}): IdentitiesService {
  const { db, clock, store, access, audit, events, features, documents } = deps;
  const k = db.kysely;

  async function loadIdentity(ex: DbExecutor, environmentId: number, id: number): Promise<IdentityRecord> {
    const r = await store.findIdentity(ex, environmentId, id);
    if (!r) throw notFound('Identity');
    return r;
  }

  async function loadTrait(ex: DbExecutor, identityId: number, id: number): Promise<TraitRecord> {
    const r = await store.findTrait(ex, identityId, id);
    if (!r) throw notFound('Trait');
    return r;
  }

  async function loadOverride(ex: DbExecutor, identityId: number, id: number): Promise<IdentityOverrideRecord> {
    const r = await store.findOverride(ex, identityId, id);
    if (!r) throw notFound('Feature state');
    return r;
  }

  async function featureOfProject(ex: DbExecutor, projectId: number, featureId: number): Promise<FeatureRef | undefined> {
    const f = await features.findFeatureRef(ex, featureId);
    return f && f.projectId === projectId ? f : undefined;
  }

  async function featureName(ex: DbExecutor, scope: Scope, featureId: number): Promise<string> {
    return (await featureOfProject(ex, scope.projectId, featureId))?.name ?? '';
  }

  function auditEntry(scope: Scope, log: string, type: AuditObjectType, id: number | null) {
    return { organisationId: scope.organisationId, projectId: scope.projectId, environmentId: scope.environmentId, log, relatedObjectType: type, relatedObjectId: id };
  }

  /** Authorises and finds the identity the nested routes hang off (404 when it is another environment's). */
  async function scopedIdentity(p: Principal, apiKey: string, identityId: number, needed: EnvironmentPermission): Promise<{ scope: Scope; identity: IdentityRecord }> {
    const scope = await access.assertEnvironmentByApiKey(p, apiKey, needed);
    return { scope, identity: await loadIdentity(k, scope.environmentId, identityId) };
  }

  /** Records the audit entry, webhook and document revision of an override save, inside its transaction. */
  async function afterOverrideSave(trx: DbExecutor, p: Principal, scope: Scope, identity: IdentityRecord, override: IdentityOverrideRecord, previous: Awaited<ReturnType<EventsService['describeFeatureState']>>) {
    await audit.record(trx, p, auditEntry(scope, IDENTITY_FEATURE_STATE_UPDATED_MESSAGE(await featureName(trx, scope, override.featureId), identity.identifier), AuditObjectType.FEATURE_STATE, override.id));
    const described = await events.describeFeatureState(trx, override.id);
    if (!described) throw new Error(`Invariant violated: feature state ${override.id} vanished in its own transaction`);
    await events.emitFlagUpdated(trx, { environmentId: scope.environmentId, newState: described, previousState: previous ?? null, changedBy: p });
    await bumpDocumentRevision(trx, { environmentId: scope.environmentId });
  }

  async function overridesOf(ex: DbExecutor, identityId: number): Promise<IdentityOverride[]> {
    return (await store.listOverrides(ex, identityId, {})).map(toOverride);
  }

  async function storedTraits(ex: DbExecutor, identityId: number): Promise<IdentityTrait[]> {
    return (await store.listTraits(ex, identityId)).map((t) => ({ trait_key: t.traitKey, trait_value: decodeTraitValue(t.valueJson).value }));
  }

  function identityResult(r: IdentityRecord): StoredIdentity {
    return { id: r.id, uuid: r.uuid, identifier: r.identifier, environmentId: r.environmentId, createdAt: r.createdAt };
  }

  function transientIdentity(environmentId: number, identifier: string): IdentifyResult['identity'] {
    return { id: null, uuid: null, identifier, environmentId, createdAt: clock.now().toISOString() };
  }

  return {
    async list(p, apiKey, filter, page) {
      const scope = await access.assertEnvironmentByApiKey(p, apiKey, EnvironmentPermission.VIEW_IDENTITIES);
      const { total, items } = await store.listIdentities(k, scope.environmentId, identitySearch(filter.q), page);
      return { total, items: items.map(toIdentityWire) };
    },

    async create(p, apiKey, input) {
      const scope = await access.assertEnvironmentByApiKey(p, apiKey, EnvironmentPermission.MANAGE_IDENTITIES);
      // Trimmed, as DRF's CharField does in Flagsmith's IdentitySerializer.
      const identifier = input.identifier.trim();
      if (!identifier) throw validationFailed('body/identifier', 'must not be blank');
      const duplicate = () => validationFailed('body/identifier', `Identity with identifier '${identifier}' already exists in this environment`);
      const id = await db
        .transaction(async (trx) => {
          if (await store.findIdentityByIdentifier(trx, scope.environmentId, identifier)) throw duplicate();
          const identityId = await store.insertIdentity(trx, { uuid: generateUuid(), identifier, environmentId: scope.environmentId, createdAt: clock.now().toISOString() });
          await audit.record(trx, p, auditEntry(scope, `New Identity created: ${identifier}`, AuditObjectType.IDENTITY, identityId));
          return identityId;
        })
        .catch((e: unknown) => {
          // Two requests creating the same identifier at once: the loser gets the same 400.
          throw isUniqueViolation(e) ? duplicate() : e;
        });
      return toIdentityWire(await loadIdentity(k, scope.environmentId, id));
    },

    async get(p, apiKey, id) {
      const scope = await access.assertEnvironmentByApiKey(p, apiKey, EnvironmentPermission.VIEW_IDENTITIES);
      return toIdentityWire(await loadIdentity(k, scope.environmentId, id));
    },

    async remove(p, apiKey, id) {
      const scope = await access.assertEnvironmentByApiKey(p, apiKey, EnvironmentPermission.MANAGE_IDENTITIES);
      await db.transaction(async (trx) => {
        const identity = await loadIdentity(trx, scope.environmentId, id);
        const hadOverrides = (await store.countOverrides(trx, id)) > 0;
        await audit.record(trx, p, auditEntry(scope, `Identity deleted: ${identity.identifier}`, AuditObjectType.IDENTITY, id));
        await store.deleteIdentity(trx, id);
        // Its overrides leave the environment document with it.
        if (hadOverrides) await bumpDocumentRevision(trx, { environmentId: scope.environmentId });
      });
    },

    async listTraits(p, apiKey, identityId) {
      const { identity } = await scopedIdentity(p, apiKey, identityId, EnvironmentPermission.VIEW_IDENTITIES);
      return (await store.listTraits(k, identity.id)).map(toTraitWire);
    },

    async createTrait(p, apiKey, identityId, input) {
      const { scope, identity } = await scopedIdentity(p, apiKey, identityId, EnvironmentPermission.MANAGE_IDENTITIES);
      const traitKey = trimmedTraitKey(input.trait_key);
      const value = traitValueOf(input);
      if (!value) throw validationFailed('body/trait_value', 'is required');
      const duplicate = () => validationFailed('body/trait_key', `Identity '${identity.identifier}' already has a trait '${traitKey}'`);
      const id = await db
        .transaction(async (trx) => {
          if (await store.findTraitByKey(trx, identity.id, traitKey)) throw duplicate();
          const traitId = await store.insertTrait(trx, { identityId: identity.id, traitKey, valueJson: encodeTraitValue(value), createdAt: clock.now().toISOString() });
          await audit.record(trx, p, auditEntry(scope, `Trait '${traitKey}' created for identity '${identity.identifier}'`, AuditObjectType.IDENTITY, identity.id));
          return traitId;
        })
        .catch((e: unknown) => {
          throw isUniqueViolation(e) ? duplicate() : e;
        });
      return toTraitWire(await loadTrait(k, identity.id, id));
    },

    async getTrait(p, apiKey, identityId, id) {
      const { identity } = await scopedIdentity(p, apiKey, identityId, EnvironmentPermission.VIEW_IDENTITIES);
      return toTraitWire(await loadTrait(k, identity.id, id));
    },

    async updateTrait(p, apiKey, identityId, id, input, partial) {
      const { scope, identity } = await scopedIdentity(p, apiKey, identityId, EnvironmentPermission.MANAGE_IDENTITIES);
      const traitKey = input.trait_key === undefined ? undefined : trimmedTraitKey(input.trait_key);
      const value = traitValueOf(input);
      if (!partial && traitKey === undefined) throw validationFailed('body/trait_key', 'is required');
      if (!partial && value === undefined) throw validationFailed('body/trait_value', 'is required');
      const duplicate = () => validationFailed('body/trait_key', `Identity '${identity.identifier}' already has a trait '${traitKey ?? ''}'`);
      await db
        .transaction(async (trx) => {
          const before = await loadTrait(trx, identity.id, id);
          if (traitKey !== undefined && traitKey !== before.traitKey && (await store.findTraitByKey(trx, identity.id, traitKey))) throw duplicate();
          await store.updateTrait(trx, id, { traitKey, valueJson: value && encodeTraitValue(value) });
          await audit.record(trx, p, auditEntry(scope, `Trait '${traitKey ?? before.traitKey}' updated for identity '${identity.identifier}'`, AuditObjectType.IDENTITY, identity.id));
        })
        .catch((e: unknown) => {
          throw isUniqueViolation(e) ? duplicate() : e;
        });
      return toTraitWire(await loadTrait(k, identity.id, id));
    },

    async deleteTrait(p, apiKey, identityId, id, options) {
      const { scope, identity } = await scopedIdentity(p, apiKey, identityId, EnvironmentPermission.MANAGE_IDENTITIES);
      await db.transaction(async (trx) => {
        const trait = await loadTrait(trx, identity.id, id);
        if (options.allMatching) {
          const n = await store.deleteTraitsByKey(trx, scope.environmentId, trait.traitKey);
          await audit.record(trx, p, auditEntry(scope, `Trait '${trait.traitKey}' deleted from every identity (${n})`, AuditObjectType.IDENTITY, null));
        } else {
          await store.deleteTrait(trx, id);
          await audit.record(trx, p, auditEntry(scope, `Trait '${trait.traitKey}' deleted for identity '${identity.identifier}'`, AuditObjectType.IDENTITY, identity.id));
        }
      });
    },

    async listOverrides(p, apiKey, identityId, filter, page) {
      const { identity } = await scopedIdentity(p, apiKey, identityId, EnvironmentPermission.VIEW_IDENTITIES);
      const all = await store.listOverrides(k, identity.id, { featureId: filter.feature });
      return {
        total: all.length,
        items: all.slice(page.offset, page.offset + page.limit).map((r) => ({ ...overrideWireFields(r), identity: { id: identity.id, identifier: identity.identifier } })),
      };
    },

    async createOverride(p, apiKey, identityId, input) {
      const { scope, identity } = await scopedIdentity(p, apiKey, identityId, EnvironmentPermission.MANAGE_IDENTITIES);
      const givenValue = input.feature_state_value === undefined ? undefined : flagValueOf(input.feature_state_value);
      const created = await db.transaction(async (trx) => {
        const feature = await featureOfProject(trx, scope.projectId, input.feature);
        if (!feature) throw validationFailed('body/feature', 'Feature does not exist in project');
        // Without a value the override starts from the feature's initial value, as Flagsmith's
        // `get_feature_state_value_defaults` gives every new feature state.
        const value = givenValue ?? inferFeatureStateValue(feature.initialValue);
        // One override per identity and feature: the identity's row lock orders concurrent creates.
        await store.lockIdentity(trx, identity.id);
        if (await store.findOverrideByFeature(trx, identity.id, input.feature)) throw validationFailed('body/feature', `Identity '${identity.identifier}' already has an override for this feature`);
        const now = clock.now().toISOString();
        const id = await store.insertOverride(trx, { uuid: generateUuid(), featureId: input.feature, environmentId: scope.environmentId, identityId: identity.id, enabled: input.enabled ?? false, value, createdAt: now });
        const override = await loadOverride(trx, identity.id, id);
        await afterOverrideSave(trx, p, scope, identity, override, undefined);
        return override;
      });
      return toIdentityFeatureStateWire(created);
    },

    async getOverride(p, apiKey, identityId, id) {
      const { identity } = await scopedIdentity(p, apiKey, identityId, EnvironmentPermission.VIEW_IDENTITIES);
      return toIdentityFeatureStateWire(await loadOverride(k, identity.id, id));
    },

    async updateOverride(p, apiKey, identityId, id, input) {
      const { scope, identity } = await scopedIdentity(p, apiKey, identityId, EnvironmentPermission.MANAGE_IDENTITIES);
      const value = input.feature_state_value === undefined ? undefined : flagValueOf(input.feature_state_value);
      const updated = await db.transaction(async (trx) => {
        await store.lockIdentity(trx, identity.id);
        const before = await loadOverride(trx, identity.id, id);
        if (input.feature !== undefined && input.feature !== before.featureId) throw validationFailed('body/feature', 'Cannot change the feature of a feature state');
        const previous = await events.describeFeatureState(trx, id);
        await store.updateOverride(trx, id, { enabled: input.enabled, value, updatedAt: clock.now().toISOString() });
        const after = await loadOverride(trx, identity.id, id);
        await afterOverrideSave(trx, p, scope, identity, after, previous);
        return after;
      });
      return toIdentityFeatureStateWire(updated);
    },

    async removeOverride(p, apiKey, identityId, id) {
      const { scope, identity } = await scopedIdentity(p, apiKey, identityId, EnvironmentPermission.MANAGE_IDENTITIES);
      await db.transaction(async (trx) => {
        await store.lockIdentity(trx, identity.id);
        const before = await loadOverride(trx, identity.id, id);
        const previous = await events.describeFeatureState(trx, id);
        if (!previous) throw new Error(`Invariant violated: feature state ${id} cannot be described`);
        await audit.record(trx, p, auditEntry(scope, IDENTITY_FEATURE_STATE_DELETED_MESSAGE(await featureName(trx, scope, before.featureId), identity.identifier), AuditObjectType.FEATURE_STATE, id));
        await events.emitFlagDeleted(trx, { environmentId: scope.environmentId, previousState: previous, changedBy: p });
        await store.deleteOverride(trx, id);
        await bumpDocumentRevision(trx, { environmentId: scope.environmentId });
      });
    },

    async allFeatureStates(p, apiKey, identityId) {
      const { scope, identity } = await scopedIdentity(p, apiKey, identityId, EnvironmentPermission.VIEW_IDENTITIES);
      if (!documents) throw new AppError(ErrorCode.UNAVAILABLE, 'Flag evaluation is not available on this server.');
      const doc = await documents.documentForAdmin(scope.environmentId);
      const traits = await storedTraits(k, identity.id);
      const key = identityHashKey({ environmentApiKey: doc.api_key, identifier: identity.identifier, identityId: identity.id, useCompositeKey: doc.use_identity_composite_key_for_hashing });
      const flags = getIdentityFeatureStates(doc, { identifier: identity.identifier, key }, traits, { hideDisabledFlags: false, excludeServerKeyOnly: false });
      return flags.map((f) => ({
        feature: { id: f.feature.id, name: f.feature.name, type: f.feature.type },
        enabled: f.enabled,
        feature_state_value: f.value,
        overridden_by: f.source === 'IDENTITY' ? 'IDENTITY' : f.source === 'SEGMENT' ? 'SEGMENT' : null,
        segment: f.segment ? { id: f.segment.id, name: f.segment.name } : null,
        multivariate_feature_state_values: f.featureState.multivariate_feature_state_values.map((v) => ({
          multivariate_feature_option: { value: v.multivariate_feature_option.value },
          percentage_allocation: v.percentage_allocation,
        })),
      }));
    },

    async identifyWithTraits(environmentId, identifier, traits, options) {
      // Validate everything before writing anything.
      const checked = traits.map((t, i) => {
        const key = t.trait_key.trim();
        if (!key) throw validationFailed(`body/traits/${i}/trait_key`, 'must not be blank');
        if (key.length > MAX_TRAIT_KEY_LENGTH) throw validationFailed(`body/traits/${i}/trait_key`, `must be at most ${MAX_TRAIT_KEY_LENGTH} characters`);
        if (t.trait_value === null) return { key, value: null, isTransient: t.transient === true };
        const c = checkTraitValue(t.trait_value);
        if (!c.ok) throw validationFailed(`body/traits/${i}/trait_value`, c.message);
        return { key, value: c.value, isTransient: t.transient === true };
      });
      const incoming = (only: (t: (typeof checked)[number]) => boolean): IdentityTrait[] =>
        checked.filter((t) => t.value !== null && only(t)).map((t) => ({ trait_key: t.key, trait_value: (t.value as TypedTraitValue).value }));

      if (!identifier) {
        return { identity: transientIdentity(environmentId, transientIdentifier(checked)), isNew: false, traits: mergeTraits([], incoming(() => true)), overrides: [] };
      }
      if (options.isTransientIdentity) {
        const existing = await store.findIdentityByIdentifier(k, environmentId, identifier);
        if (!existing) return { identity: transientIdentity(environmentId, identifier), isNew: false, traits: mergeTraits([], incoming(() => true)), overrides: [] };
        return { identity: identityResult(existing), isNew: false, traits: mergeTraits(await storedTraits(k, existing.id), incoming(() => true)), overrides: options.withOverrides === false ? [] : await overridesOf(k, existing.id) };
      }

      const withOverrides = options.withOverrides !== false;
      const overridesFor = async (ex: DbExecutor, identityId: number) => (withOverrides ? overridesOf(ex, identityId) : []);
      // The usual call: a known identity sending the traits it sent before. Read without a transaction,
      // and write nothing unless something changed.
      const known = await store.findIdentityByIdentifier(k, environmentId, identifier);
      if (known) {
        const stored = await store.listTraits(k, known.id);
        if (!options.persist || traitWritesOf(stored, checked).length === 0) {
          const storedValues = stored.map((t) => ({ trait_key: t.traitKey, trait_value: decodeTraitValue(t.valueJson).value }));
          const evaluated = mergeTraits(storedValues, incoming((t) => !options.persist || t.isTransient));
          return { identity: identityResult(known), isNew: false, traits: evaluated, overrides: await overridesFor(k, known.id) };
        }
      }

      const attempt = () =>
        db.transaction(async (trx) => {
          let identity = await store.findIdentityByIdentifier(trx, environmentId, identifier);
          const isNew = identity === undefined;
          if (!identity) {
            const id = await store.insertIdentity(trx, { uuid: generateUuid(), identifier, environmentId, createdAt: clock.now().toISOString() });
            identity = await loadIdentity(trx, environmentId, id);
          }
          if (!options.persist) {
            return { identity: identityResult(identity), isNew, traits: mergeTraits(await storedTraits(trx, identity.id), incoming(() => true)), overrides: await overridesFor(trx, identity.id) };
          }
          const writes = traitWritesOf(isNew ? [] : await store.listTraits(trx, identity.id), checked);
          const createdAt = clock.now().toISOString();
          for (const w of writes) {
            if (w.kind === 'delete') await store.deleteTrait(trx, w.id);
            else if (w.kind === 'update') await store.updateTrait(trx, w.id, { valueJson: w.valueJson });
            else await store.insertTrait(trx, { identityId: identity.id, traitKey: w.key, valueJson: w.valueJson, createdAt });
          }
          const traitsAfter = mergeTraits(await storedTraits(trx, identity.id), incoming((t) => t.isTransient));
          return { identity: identityResult(identity), isNew, traits: traitsAfter, overrides: await overridesFor(trx, identity.id) };
        });
      // Concurrent first identifies of one identifier (or trait key) collide on a unique index: the
      // loser's transaction rolls back and, run again, finds the winner's rows.
      return attempt().catch((e: unknown) => (isUniqueViolation(e) ? attempt() : Promise.reject(e)));
    },

    async findByIdentifier(environmentId, identifier, ex = k) {
      const r = await store.findIdentityByIdentifier(ex, environmentId, identifier);
      return r && identityResult(r);
    },

    async traitsOf(environmentId, identityId, ex = k) {
      if (!(await store.findIdentity(ex, environmentId, identityId))) return [];
      return storedTraits(ex, identityId);
    },

    async overridesOf(environmentId, identityId, ex = k) {
      if (!(await store.findIdentity(ex, environmentId, identityId))) return [];
      return overridesOf(ex, identityId);
    },

    async identityOverridesOfEnvironment(environmentId, ex = k) {
      const rows = await store.listOverridesOfEnvironment(ex, environmentId);
      const byIdentity = new Map<number, { identityId: number; identityUuid: string; identifier: string; overrides: IdentityOverride[] }>();
      for (const r of rows) {
        let entry = byIdentity.get(r.identityId);
        if (!entry) {
          entry = { identityId: r.identityId, identityUuid: r.identityUuid, identifier: r.identifier, overrides: [] };
          byIdentity.set(r.identityId, entry);
        }
        entry.overrides.push(toOverride(r));
      }
      return [...byIdentity.values()];
    },
  };
}
