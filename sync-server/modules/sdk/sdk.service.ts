import type { EnvironmentDocument, SdkFlagWire, SdkIdentitiesResponseWire } from '../../../src-shared/contracts/sdk/environment-document.schema.js';
import type { SdkTraitInput } from '../../../src-shared/contracts/http/sdk.contract.js';
import {
  compileEnvironmentDocument,
  evaluateIdentity,
  getEnvironmentFeatureStates,
  identityHashKey,
  type CompiledDocument,
  toSdkFlag,
  toSdkTraits,
  type EvaluatedFlag,
  type TraitInput,
} from '../../../src-shared/domain/evaluation/index.js';
import { AppError, notFound } from '../../../src-shared/errors/app-error.js';
import { ErrorCode } from '../../../src-shared/errors/error-codes.js';
import type { IdentitiesService, TraitValue } from '../identities/identities.service.js';
import type { DocumentCache, DocumentSnapshot, EnvironmentFlags, SdkKey } from './document-cache.js';

/** Who calls the SDK API: an environment, by its client-side or a server-side key. */
export interface SdkClient {
  environmentId: number;
  isServerKey: boolean;
  /**
   * The key itself (a server-side one by its hash). The auth hook may have resolved it from memory; every
   * call checks it against the environment's keys read with the document revision, and refuses it
   * (UNAUTHENTICATED) once it was deleted or deactivated or its environment deleted.
   */
  key: SdkKey;
}

export interface IdentifyInput {
  /** Omitted or empty: a fully transient identity (Flagsmith keys it by a hash of the traits). */
  identifier?: string | undefined;
  traits?: readonly SdkTraitInput[] | undefined;
  /** Evaluate without creating the identity or storing traits. */
  transient?: boolean | undefined;
}

/** The environment document as served: JSON with its ETag, or "not modified" for a matching If-None-Match. */
export type DocumentResponse = { isModified: true; etag: string; body: Buffer } | { isModified: false; etag: string };

/**
 * The SDK API (remote and local evaluation). Every call starts from the environment's cached document
 * (rebuilt when its revision moved), so remote evaluation runs the same engine on the same data the
 * SDKs evaluate locally. Client-side keys never see server-key-only features; disabled flags are left
 * out when the environment (else its project) hides them; an organisation that stopped serving flags
 * gets PERMISSION_DENIED everywhere.
 */
export interface SdkService {
  /** The environment's flags; with `featureName`, that one flag (NOT_FOUND when it is not served). */
  environmentFlags(client: SdkClient, featureName?: string): Promise<SdkFlagWire[] | SdkFlagWire>;
  /** The environment's flags as UTF-8 JSON, serialised once per document revision and key kind (the hot path of SDK polling). */
  environmentFlagsBody(client: SdkClient): Promise<Buffer>;
  /** Flags and stored traits of an identity; creates the identity on first sight. */
  identityFlags(client: SdkClient, identifier: string): Promise<SdkIdentitiesResponseWire>;
  /** `identityFlags` as UTF-8 JSON (the hot path: each flag's JSON is made once per document revision). */
  identityFlagsBody(client: SdkClient, identifier: string): Promise<Buffer>;
  /**
   * Identify with traits. Traits are stored when the organisation persists trait data and the key may
   * set them (server-side keys always; client-side keys when the environment allows client traits);
   * otherwise they only take part in this evaluation, merged over the stored ones.
   */
  identify(client: SdkClient, input: IdentifyInput): Promise<SdkIdentitiesResponseWire>;
  /** `identify` as UTF-8 JSON, the same bytes the response schema would give. */
  identifyBody(client: SdkClient, input: IdentifyInput): Promise<Buffer>;
  /** The document for local evaluation (the route requires a server-side key). */
  environmentDocument(client: SdkClient, ifNoneMatch: string | undefined): Promise<DocumentResponse>;
  /**
   * The current document of an environment, for Admin API code that has already authorised its caller
   * (e.g. an identity's evaluated flags): no SDK key is involved. NOT_FOUND when the environment is gone.
   */
  documentForAdmin(environmentId: number): Promise<EnvironmentDocument>;
}

/** Whether an If-None-Match header value names this ETag (a list, `*`, or a weak form of it). */
function matchesEtag(header: string | undefined, etag: string): boolean {
  if (!header) return false;
  return header.split(',').some((candidate) => {
    const tag = candidate.trim();
    return tag === '*' || tag === etag || tag === `W/${etag}`;
  });
}

const COMMA = Buffer.from(',');

export function createSdkService(deps: { cache: DocumentCache; identities: IdentitiesService }): SdkService {
  const { cache, identities } = deps;

  async function snapshotFor(client: SdkClient): Promise<DocumentSnapshot> {
    const found = await cache.get(client.environmentId);
    if (!found || !found.accepts(client.key)) throw new AppError(ErrorCode.UNAUTHENTICATED, 'Invalid X-Environment-Key.');
    if (found.stopServingFlags) throw new AppError(ErrorCode.PERMISSION_DENIED, 'Organisation is disabled from serving flags.');
    return found.snapshot;
  }

  function toWire(snapshot: DocumentSnapshot, flags: readonly EvaluatedFlag[], identityId: number | null): SdkFlagWire[] {
    return flags.map((flag) => {
      const feature = snapshot.features.get(flag.feature.id);
      if (!feature) throw new Error(`Invariant violated: feature ${flag.feature.id} is in the document but not in its metadata`);
      const stateId = flag.featureState.django_id ?? 0;
      return toSdkFlag(flag, { environmentId: snapshot.environmentId, feature, featureSegmentId: snapshot.featureSegmentIdByStateId.get(stateId) ?? null, featureStateId: snapshot.stateIdByDjangoId.get(stateId), identityId });
    });
  }

  function environmentFlagsOf(snapshot: DocumentSnapshot, client: SdkClient): EnvironmentFlags {
    const kind = client.isServerKey ? 'server' : 'client';
    const memo = snapshot.flagsMemo[kind];
    if (memo) return memo;
    const flags = toWire(snapshot, getEnvironmentFeatureStates(snapshot.document, { excludeServerKeyOnly: !client.isServerKey }), null);
    const computed = { flags, body: Buffer.from(JSON.stringify(flags), 'utf8') };
    snapshot.flagsMemo[kind] = computed;
    return computed;
  }

  /** What identity evaluation keeps per snapshot: the compiled document and each flag's JSON, made on first use. */
  const prepared = new WeakMap<DocumentSnapshot, { compiled: CompiledDocument; flagJson: Map<object, Buffer> }>();
  function preparedOf(snapshot: DocumentSnapshot) {
    let p = prepared.get(snapshot);
    if (!p) {
      p = { compiled: compileEnvironmentDocument(snapshot.document), flagJson: new Map() };
      prepared.set(snapshot, p);
    }
    return p;
  }

  interface Evaluated {
    identifier: string;
    flags: readonly EvaluatedFlag[];
    traits: readonly TraitInput[];
    overriddenIdentityId: number | null;
  }

  function evaluate(snapshot: DocumentSnapshot, client: SdkClient, identity: { id: number | null; identifier: string }, traits: readonly TraitInput[]): Evaluated {
    const doc = snapshot.document;
    const key = identityHashKey({ environmentApiKey: doc.api_key, identifier: identity.identifier, identityId: identity.id, useCompositeKey: doc.use_identity_composite_key_for_hashing });
    // Identity overrides come from the document (they bump its revision), as in local evaluation.
    const flags = evaluateIdentity(preparedOf(snapshot).compiled, { identifier: identity.identifier, key }, traits, { excludeServerKeyOnly: !client.isServerKey });
    return { identifier: identity.identifier, flags, traits, overriddenIdentityId: snapshot.identityIdByIdentifier.get(identity.identifier) ?? identity.id };
  }

  function toResponse(snapshot: DocumentSnapshot, e: Evaluated): SdkIdentitiesResponseWire {
    return { identifier: e.identifier, flags: toWire(snapshot, e.flags, e.overriddenIdentityId), traits: toSdkTraits(e.traits) };
  }

  /**
   * The response as JSON: a flag decided by an environment default or a segment override is the same for
   * every identity it decides (per variant), so its JSON is made once per snapshot and reused.
   */
  function toResponseBody(snapshot: DocumentSnapshot, e: Evaluated): Buffer {
    const cache = preparedOf(snapshot).flagJson;
    const parts: Buffer[] = [Buffer.from(`{"identifier":${JSON.stringify(e.identifier)},"flags":[`, 'utf8')];
    for (const flag of e.flags) {
      if (parts.length > 1) parts.push(COMMA);
      if (flag.source === 'IDENTITY') {
        parts.push(Buffer.from(JSON.stringify(toWire(snapshot, [flag], e.overriddenIdentityId)[0]), 'utf8'));
        continue;
      }
      const cacheKey = flag.variant ?? flag.featureState;
      let json = cache.get(cacheKey);
      if (json === undefined) {
        json = Buffer.from(JSON.stringify(toWire(snapshot, [flag], null)[0]), 'utf8');
        cache.set(cacheKey, json);
      }
      parts.push(json);
    }
    parts.push(Buffer.from(`],"traits":${JSON.stringify(toSdkTraits(e.traits))}}`, 'utf8'));
    // Copies the cached bytes once: no string of the whole answer is built or encoded.
    return Buffer.concat(parts);
  }

  async function identifyStored(client: SdkClient, identifier: string): Promise<[DocumentSnapshot, Evaluated]> {
    const snapshot = await snapshotFor(client);
    const result = await identities.identifyWithTraits(client.environmentId, identifier, [], { persist: true, withOverrides: false });
    return [snapshot, evaluate(snapshot, client, result.identity, result.traits)];
  }

  async function identifyWith(client: SdkClient, input: IdentifyInput): Promise<[DocumentSnapshot, Evaluated]> {
    const snapshot = await snapshotFor(client);
    const doc = snapshot.document;
    const isPersisted = doc.project.organisation.persist_trait_data && (client.isServerKey || doc.allow_client_traits);
    // The identities service validates each value (and names the bad one); the contract leaves it untyped.
    const traits = (input.traits ?? []).map((t) => ({ trait_key: t.trait_key, trait_value: t.trait_value as TraitValue | null, transient: t.transient }));
    const result = await identities.identifyWithTraits(client.environmentId, input.identifier || null, traits, { persist: isPersisted, isTransientIdentity: input.transient === true, withOverrides: false });
    return [snapshot, evaluate(snapshot, client, result.identity, result.traits)];
  }

  return {
    async environmentFlags(client, featureName) {
      const snapshot = await snapshotFor(client);
      const { flags } = environmentFlagsOf(snapshot, client);
      if (featureName === undefined) return flags;
      const flag = flags.find((f) => f.feature.name === featureName);
      if (!flag) throw notFound('Feature');
      return flag;
    },

    async environmentFlagsBody(client) {
      return environmentFlagsOf(await snapshotFor(client), client).body;
    },

    async identityFlags(client, identifier) {
      return toResponse(...(await identifyStored(client, identifier)));
    },

    async identityFlagsBody(client, identifier) {
      return toResponseBody(...(await identifyStored(client, identifier)));
    },

    async identify(client, input) {
      return toResponse(...(await identifyWith(client, input)));
    },

    async identifyBody(client, input) {
      return toResponseBody(...(await identifyWith(client, input)));
    },

    async documentForAdmin(environmentId) {
      const found = await cache.get(environmentId);
      if (!found) throw notFound('Environment');
      return found.snapshot.document;
    },

    async environmentDocument(client, ifNoneMatch) {
      const snapshot = await snapshotFor(client);
      if (matchesEtag(ifNoneMatch, snapshot.etag)) return { isModified: false, etag: snapshot.etag };
      return { isModified: true, etag: snapshot.etag, body: snapshot.body };
    },
  };
}
