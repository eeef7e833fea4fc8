import { useId, useState } from 'react';
import { useAppServices } from '../../app/app-services.js';
import type { Environment, Feature } from '../../data/api-client.js';
import { describeError } from '../../ui/error-text.js';
import { useResource } from '../../ui/use-resource.js';

/** The project's features with their state in one environment, filtered by a name search. */
export function FeatureList({ environment }: { environment: Environment }) {
  const { api } = useAppServices();
  const id = useId();
  const [search, setSearch] = useState('');
  const query = search.trim();
  const features = useResource(`features:${environment.project}:${environment.id}:${query}`, () =>
    api.listFeatures(environment.project, { environmentId: environment.id, ...(query ? { search: query } : {}) }),
  );
  // While a new search loads, the previous rows stay (no flicker on every keystroke).
  const rows = features.status === 'ready' ? features.data : features.status === 'loading' ? features.stale : undefined;

  return (
    <section className="panel features" aria-labelledby={`${id}-title`}>
      <h2 id={`${id}-title`}>Features</h2>
      <label htmlFor={`${id}-search`}>Search features</label>
      <input id={`${id}-search`} type="search" value={search} onChange={(e) => setSearch(e.target.value)} autoComplete="off" />
      {features.status === 'loading' && rows === undefined && <p role="status">Loading…</p>}
      {features.status === 'failed' && (
        <p role="alert" className="error">
          {describeError(features.error)}
        </p>
      )}
      {features.status === 'ready' && features.data.length === 0 && <p>{query ? `No features match “${query}”.` : 'No features in this project yet.'}</p>}
      {rows !== undefined && rows.length > 0 && (
        <table aria-label={`Features in ${environment.name}`} aria-busy={features.status === 'loading'}>
          <thead>
            <tr>
              <th scope="col">Name</th>
              <th scope="col">State</th>
              <th scope="col">Value</th>
            </tr>
          </thead>
          <tbody>
            {rows.map((feature) => (
              <FeatureRow key={feature.id} feature={feature} />
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}

function FeatureRow({ feature }: { feature: Feature }) {
  const state = feature.environment_feature_state;
  return (
    <tr>
      <th scope="row">
        {feature.name}
        {feature.description && <span className="muted"> {feature.description}</span>}
      </th>
      <td>{state ? (state.enabled ? 'On' : 'Off') : '—'}</td>
      <td>
        <code>{state && state.feature_state_value !== null ? String(state.feature_state_value) : ''}</code>
      </td>
    </tr>
  );
}
