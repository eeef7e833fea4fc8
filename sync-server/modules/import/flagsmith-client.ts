import { request } from 'undici';
import type { FeatureWire } from '../../../src-shared/contracts/http/features.contract.js';
import type { FeatureStateWire } from '../../../src-shared/contracts/http/feature-states.contract.js';
import type { FeatureSegmentWire, SegmentWire } from '../../../src-shared/contracts/http/segments.contract.js';
import type { IdentityFeatureStateListItemWire, TraitWire } from '../../../src-shared/contracts/http/identities.contract.js';

/*
 * The Flagsmith Admin API as the importer reads it. Types reuse Flagdesk's wire contracts (they are
 * Flagsmith's serializer shapes), narrowed to the fields the import uses, so a Flagsmith server that
 * sends more fields (or omits Flagdesk additions) reads the same.
 */
export type SourceOrganisation = { id: number; name: string };
export type SourceProject = { id: number; name: string; hide_disabled_flags?: boolean | null };
export type SourceEnvironment = { id: number; name: string; api_key: string; description?: string | null };
export type SourceFeature = Pick<FeatureWire, 'id' | 'name' | 'type' | 'default_enabled' | 'initial_value' | 'description' | 'multivariate_options'> & Partial<Pick<FeatureWire, 'is_server_key_only' | 'is_archived'>>;
export type SourceSegment = Pick<SegmentWire, 'id' | 'name' | 'description' | 'rules'> & { feature?: number | null };
export type SourceFeatureState = Pick<FeatureStateWire, 'id' | 'feature' | 'feature_segment' | 'enabled' | 'feature_state_value' | 'multivariate_feature_state_values'> & { identity?: number | null };
export type SourceFeatureSegment = Pick<FeatureSegmentWire, 'id' | 'feature' | 'segment' | 'priority'>;
export type SourceIdentity = { id: number; identifier: string };
export type SourceTrait = Pick<TraitWire, 'trait_key' | 'value_type' | 'string_value' | 'integer_value' | 'boolean_value'> & Partial<Pick<TraitWire, 'float_value' | 'trait_value'>>;
export type SourceIdentityOverride = Pick<IdentityFeatureStateListItemWire, 'id' | 'enabled' | 'feature_state_value' | 'multivariate_feature_state_values'> & { feature: number | { id: number } };

/** What the importer reads from a Flagsmith server. Every list is complete (pages are followed). */
export interface FlagsmithSource {
  organisations(): Promise<SourceOrganisation[]>;
  projects(organisationId: number): Promise<SourceProject[]>;
  environments(projectId: number): Promise<SourceEnvironment[]>;
  features(projectId: number): Promise<SourceFeature[]>;
  segments(projectId: number): Promise<SourceSegment[]>;
  /** Environment defaults and segment overrides of an environment (identity overrides excluded). */
  featureStates(environmentId: number): Promise<SourceFeatureState[]>;
  featureSegments(environmentId: number, featureId: number): Promise<SourceFeatureSegment[]>;
  identities(environmentKey: string): Promise<SourceIdentity[]>;
  traits(environmentKey: string, identityId: number): Promise<SourceTrait[]>;
  identityOverrides(environmentKey: string, identityId: number): Promise<SourceIdentityOverride[]>;
}

export class FlagsmithSourceError extends Error {
  override readonly name = 'FlagsmithSourceError';
}

/**
 * An HTTP client of a Flagsmith Admin API at `baseUrl` (`https://api.flagsmith.com` or a self-hosted
 * server; with or without `/api/v1`). `token` is a user token (`Authorization: Token …`) or, given as
 * `Api-Key <key>`, an organisation API key.
 */
export function createFlagsmithClient(options: { baseUrl: string; token: string; timeoutMs?: number }): FlagsmithSource {
  const root = options.baseUrl.replace(/\/+$/, '').replace(/\/api\/v1$/, '');
  const authorization = /^(Token|Api-Key) /.test(options.token) ? options.token : `Token ${options.token}`;

  /** `pathOrUrl` is a path under /api/v1 or a page link; links are re-rooted on `baseUrl`, so the token never goes to another host. */
  async function getJson(pathOrUrl: string): Promise<unknown> {
    const url = pathOrUrl.startsWith('http') ? (() => { const u = new URL(pathOrUrl); return `${root}${u.pathname}${u.search}`; })() : `${root}/api/v1${pathOrUrl}`;
    let res;
    try {
      res = await request(url, { method: 'GET', headers: { authorization, accept: 'application/json' }, signal: AbortSignal.timeout(options.timeoutMs ?? 30_000) });
    } catch (error) {
      throw new FlagsmithSourceError(`GET ${url} failed: ${error instanceof Error ? error.message : String(error)}`);
    }
    const text = await res.body.text();
    if (res.statusCode === 401 || res.statusCode === 403) throw new FlagsmithSourceError(`GET ${url} answered ${res.statusCode}: the token is not accepted (${text.slice(0, 200)})`);
    if (res.statusCode >= 300) throw new FlagsmithSourceError(`GET ${url} answered ${res.statusCode}: ${text.slice(0, 300)}`);
    try {
      return JSON.parse(text) as unknown;
    } catch {
      throw new FlagsmithSourceError(`GET ${url} did not answer JSON: ${text.slice(0, 200)}`);
    }
  }

  /** Follows Flagsmith's page links (`next`); a plain array is one complete page. */
  async function list<T>(path: string): Promise<T[]> {
    const out: T[] = [];
    let next: string | null = `${path}${path.includes('?') ? '&' : '?'}page_size=100`;
    for (let pages = 0; next !== null; pages++) {
      if (pages > 10_000) throw new FlagsmithSourceError(`GET ${path}: more than 10000 pages`);
      const body = (await getJson(next)) as T[] | { results: T[]; next?: string | null };
      if (Array.isArray(body)) return [...out, ...body];
      out.push(...body.results);
      next = body.next ?? null;
    }
    return out;
  }

  const q = encodeURIComponent;
  return {
    organisations: () => list('/organisations/'),
    projects: (organisationId) => list(`/projects/?organisation=${organisationId}`),
    environments: (projectId) => list(`/environments/?project=${projectId}`),
    features: (projectId) => list(`/projects/${projectId}/features/`),
    segments: (projectId) => list(`/projects/${projectId}/segments/`),
    featureStates: async (environmentId) => (await list<SourceFeatureState>(`/features/featurestates/?environment=${environmentId}`)).filter((s) => (s.identity ?? null) === null),
    featureSegments: (environmentId, featureId) => list(`/features/feature-segments/?environment=${environmentId}&feature=${featureId}`),
    identities: (environmentKey) => list(`/environments/${q(environmentKey)}/identities/`),
    traits: (environmentKey, identityId) => list(`/environments/${q(environmentKey)}/identities/${identityId}/traits/`),
    identityOverrides: (environmentKey, identityId) => list(`/environments/${q(environmentKey)}/identities/${identityId}/featurestates/`),
  };
}
