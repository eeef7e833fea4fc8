/**
 * Seeds the SDK benchmark's environment through the Admin API: `features` features, `overrides` segments
 * (each an ALL rule: a trait equality OR a percentage split), and on every feature an override per segment.
 */
import { inParallel, signIn } from './measure.js';

export interface SeededSdk {
  environmentId: number;
  environmentKey: string;
  serverKey: string;
  projectId: number;
  featureIds: number[];
  /** Id of a feature state to toggle between document reads. */
  featureStateId: number;
}

/**
 * `writers` concurrent Admin writes: on PostgreSQL the bench seeds one write at a time, because concurrent
 * feature-state writes there can deadlock (the audit chain locks the organisation row and the document
 * revision bump the environment row, in opposite orders on different write paths).
 */
export async function seedSdkEnvironment(base: string, features: number, overrides: number, writers: number): Promise<SeededSdk> {
  const api = await signIn(base);
  const [organisation] = await api<{ id: number }[] | { results: { id: number }[] }>('GET', '/api/v1/organisations/').then((r) => (Array.isArray(r) ? r : r.results));
  await api('PATCH', `/api/v1/organisations/${organisation!.id}/plan-limits/`, { max_segment_overrides_per_environment: 1_000_000 });
  const project = await api<{ id: number }>('POST', '/api/v1/projects/', { name: 'Bench', organisation: organisation!.id });
  const environment = await api<{ id: number; api_key: string }>('POST', '/api/v1/environments/', { name: 'Production', project: project.id });
  const { key: serverKey } = await api<{ key: string }>('POST', `/api/v1/environments/${environment.api_key}/api-keys/`, { name: 'bench' });

  const segments: { id: number }[] = [];
  for (let s = 0; s < overrides; s++) {
    segments.push(
      await api('POST', `/api/v1/projects/${project.id}/segments/`, {
        name: `segment-${s}`,
        project: project.id,
        rules: [
          {
            type: 'ALL',
            rules: [{ type: 'ANY', rules: [], conditions: [{ operator: 'EQUAL', property: 'plan', value: `plan-${s}` }, { operator: 'PERCENTAGE_SPLIT', property: '', value: String(10 + s) }] }],
            conditions: [],
          },
        ],
      }),
    );
  }
  const featureIds: number[] = [];
  await inParallel(Array.from({ length: features }, (_, i) => i), writers, async (i) => {
    const f = await api<{ id: number }>('POST', `/api/v1/projects/${project.id}/features/`, { name: `feature_${String(i).padStart(4, '0')}`, initial_value: i % 3 === 0 ? String(i) : 'on', default_enabled: i % 2 === 0 });
    featureIds.push(f.id);
  });
  await inParallel(featureIds, writers, async (featureId) => {
    for (const [priority, segment] of segments.entries()) {
      const fseg = await api<{ id: number }>('POST', '/api/v1/features/feature-segments/', { feature: featureId, segment: segment.id, environment: environment.id, priority });
      await api('POST', '/api/v1/features/featurestates/', { feature: featureId, environment: environment.id, feature_segment: fseg.id, enabled: true, feature_state_value: { type: 'unicode', string_value: `override-${priority}` } });
    }
  });
  const states = await api<{ results: { id: number; feature_segment: unknown }[] }>('GET', `/api/v1/environments/${environment.api_key}/featurestates/?feature=${featureIds[0]}`);
  const envDefault = states.results.find((s) => s.feature_segment === null) ?? states.results[0]!;
  return { environmentId: environment.id, environmentKey: environment.api_key, serverKey, projectId: project.id, featureIds, featureStateId: envDefault.id };
}

/** The identify bodies of the bench: `count` identities with 5 traits each, the same traits on every call. */
export function identifyBodies(count: number, overrides: number, options: { transient?: boolean } = {}): string[] {
  return Array.from({ length: count }, (_, i) =>
    JSON.stringify({
      identifier: `user-${i}`,
      traits: [
        { trait_key: 'plan', trait_value: `plan-${i % overrides}` },
        { trait_key: 'age', trait_value: 20 + (i % 50) },
        { trait_key: 'country', trait_value: ['de', 'fr', 'us', 'jp'][i % 4] },
        { trait_key: 'beta', trait_value: i % 2 === 0 },
        { trait_key: 'score', trait_value: (i % 100) / 10 },
      ],
      ...(options.transient ? { transient: true } : {}),
    }),
  );
}
