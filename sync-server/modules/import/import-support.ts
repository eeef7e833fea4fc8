import type { Principal } from '../access/principal.js';
import type { ProjectsService } from '../projects/projects.service.js';
import type { EnvironmentsService } from '../environments/environments.service.js';
import type { FeaturesService } from '../features/features.service.js';
import type { FeatureStatesService } from '../features/feature-states.service.js';
import type { SegmentsService } from '../segments/segments.service.js';
import type { FeatureSegmentsService } from '../segments/feature-segments.service.js';
import type { IdentitiesService } from '../identities/identities.service.js';

/**
 * The Flagdesk services the import writes through, never their stores or tables: each write is the
 * owner's own command, with its audit entry, events and document revision.
 */
export interface ImportTarget {
  projects: ProjectsService;
  environments: EnvironmentsService;
  features: FeaturesService;
  featureStates: FeatureStatesService;
  segments: SegmentsService;
  featureSegments: FeatureSegmentsService;
  identities: IdentitiesService;
}

export const ImportedKind = {
  PROJECT: 'projects',
  ENVIRONMENT: 'environments',
  FEATURE: 'features',
  MV_OPTION: 'multivariate options',
  SEGMENT: 'segments',
  FEATURE_STATE: 'feature states',
  SEGMENT_OVERRIDE: 'segment overrides',
  OVERRIDE_ORDER: 'override orders',
  IDENTITY: 'identities',
  TRAIT: 'traits',
  IDENTITY_OVERRIDE: 'identity overrides',
} as const;
export type ImportedKind = (typeof ImportedKind)[keyof typeof ImportedKind];

export type Outcome = 'created' | 'updated' | 'unchanged';
export type ImportCounts = Record<Outcome, number>;

/** Counts what the import created, updated or found already equal, per kind. */
export class Tally {
  readonly counts = new Map<ImportedKind, ImportCounts>();

  record(kind: ImportedKind, outcome: Outcome): void {
    const c = this.counts.get(kind) ?? { created: 0, updated: 0, unchanged: 0 };
    c[outcome]++;
    this.counts.set(kind, c);
  }

  /** Writes made so far (created + updated): zero on a re-run over an unchanged source. */
  get changes(): number {
    let n = 0;
    for (const c of this.counts.values()) n += c.created + c.updated;
    return n;
  }

  summary(): string {
    return [...this.counts.entries()].map(([kind, c]) => `${kind}: ${c.created} created, ${c.updated} updated, ${c.unchanged} unchanged`).join('\n');
  }
}

/** What every import step gets: the services, who acts (audit entries name them), the tally and the progress sink. */
export interface ImportContext {
  target: ImportTarget;
  actor: Principal;
  tally: Tally;
  progress: (line: string) => void;
}

/** Every item of a paged service list. */
export async function allPages<T>(fetchPage: (page: { offset: number; limit: number }) => Promise<{ total: number; items: T[] }>): Promise<T[]> {
  const out: T[] = [];
  const limit = 500;
  for (let offset = 0; ; offset += limit) {
    const { total, items } = await fetchPage({ offset, limit });
    out.push(...items);
    if (items.length < limit || out.length >= total) return out;
  }
}

/** A typed flag value as `/features/featurestates/` reads and writes it. */
export interface TypedValue {
  type: 'unicode' | 'int' | 'bool';
  string_value: string | null;
  integer_value: number | null;
  boolean_value: boolean | null;
}

/** The value a typed value stands for (its type's column). */
export function plainValue(v: TypedValue): string | number | boolean | null {
  return v.type === 'int' ? v.integer_value : v.type === 'bool' ? v.boolean_value : v.string_value;
}

export function sameTypedValue(a: TypedValue, b: TypedValue): boolean {
  return a.type === b.type && plainValue(a) === plainValue(b);
}

/** Multivariate shares as a comparable list of `[option id, percentage]`, by option id. */
export function sharesKey(shares: readonly { multivariate_feature_option: number; percentage_allocation: number }[]): string {
  return JSON.stringify(shares.map((s) => [s.multivariate_feature_option, s.percentage_allocation]).sort((x, y) => x[0]! - y[0]!));
}

interface RuleLike {
  type: string;
  rules?: unknown[];
  conditions?: { operator: string; property?: string | null; value?: unknown; description?: string | null }[];
}

/** A segment rules tree without ids (which differ between servers), for comparing and for writing as new. */
export function rulesWithoutIds(rules: readonly unknown[]): unknown[] {
  return (rules as RuleLike[]).map((r) => ({
    type: r.type,
    rules: rulesWithoutIds(r.rules ?? []),
    conditions: (r.conditions ?? []).map((c) => ({
      operator: c.operator,
      property: c.property ?? null,
      value: c.value === null || c.value === undefined ? null : String(c.value),
      description: c.description ?? null,
    })),
  }));
}

/** Finds by a key, failing loudly on a name the source has twice (the import matches by names). */
export function indexBy<T>(items: readonly T[], key: (t: T) => string): Map<string, T> {
  const m = new Map<string, T>();
  for (const item of items) if (!m.has(key(item))) m.set(key(item), item);
  return m;
}
