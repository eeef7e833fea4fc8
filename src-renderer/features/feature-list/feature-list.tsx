import { useEffect, useId, useRef, useState } from 'react';
import { useAppServices } from '../../app/app-services.js';
import type { Environment, Feature } from '../../data/api-client.js';
import { loadFeatureList, setFeatureEnabled } from '../../data/feature-editing.js';
import { describeError } from '../../ui/error-text.js';
import { Switch } from '../../ui/switch.js';
import { useResource } from '../../ui/use-resource.js';

/**
 * The project's features with their state in one environment, filtered by a name search ("/" focuses
 * it). The switch saves the state on v1 and publishes a version on v2; the name opens the feature.
 */
export function FeatureList({ environment }: { environment: Environment }) {
  const { api, store } = useAppServices();
  const id = useId();
  const searchRef = useRef<HTMLInputElement>(null);
  const [search, setSearch] = useState('');
  const [reload, setReload] = useState(0);
  const [pending, setPending] = useState<number | null>(null);
  const [failure, setFailure] = useState<string | null>(null);
  const query = search.trim();
  const features = useResource(`features:${environment.project}:${environment.id}:${environment.use_v2_feature_versioning}:${query}:${reload}`, () =>
    loadFeatureList(api, environment, query),
  );
  // While a new search loads, the previous rows stay (no flicker on every keystroke).
  const rows = features.status === 'ready' ? features.data : features.status === 'loading' ? features.stale : undefined;

  useEffect(() => {
    function onKey(event: KeyboardEvent) {
      const target = event.target as HTMLElement | null;
      if (event.key !== '/' || event.ctrlKey || event.metaKey || ['INPUT', 'SELECT', 'TEXTAREA'].includes(target?.tagName ?? '')) return;
      event.preventDefault();
      searchRef.current?.focus();
    }
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, []);

  async function toggle(feature: Feature, enabled: boolean) {
    setPending(feature.id);
    setFailure(null);
    try {
      await setFeatureEnabled(api, environment, feature, enabled);
      setReload((r) => r + 1);
    } catch (error) {
      setFailure(`${feature.name}: ${describeError(error)}`);
    } finally {
      setPending(null);
    }
  }

  return (
    <section className="panel features" aria-labelledby={`${id}-title`}>
      <div className="features-head">
        <h2 id={`${id}-title`}>Features</h2>
        <label htmlFor={`${id}-search`} className="sr-only">
          Search features
        </label>
        <input
          id={`${id}-search`}
          ref={searchRef}
          type="search"
          placeholder="Search features  /"
          aria-keyshortcuts="/"
          value={search}
          onChange={(e) => setSearch(e.target.value)}
          autoComplete="off"
        />
      </div>
      {features.status === 'loading' && rows === undefined && <p role="status">Loading…</p>}
      {features.status === 'failed' && (
        <p role="alert" className="error">
          {describeError(features.error)}
        </p>
      )}
      {failure && (
        <p role="alert" className="error">
          {failure}
        </p>
      )}
      {features.status === 'ready' && features.data.length === 0 && <p className="muted">{query ? `No features match “${query}”.` : 'No features in this project yet.'}</p>}
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
              <FeatureRow
                key={feature.id}
                feature={feature}
                environment={environment}
                isPending={pending === feature.id}
                onOpen={() => store.getState().openFeature(feature.id)}
                onToggle={(enabled) => void toggle(feature, enabled)}
              />
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}

interface RowProps {
  feature: Feature;
  environment: Environment;
  isPending: boolean;
  onOpen(): void;
  onToggle(enabled: boolean): void;
}

function FeatureRow({ feature, environment, isPending, onOpen, onToggle }: RowProps) {
  const state = feature.environment_feature_state;
  return (
    <tr>
      <th scope="row">
        <button type="button" className="link feature-name" onClick={onOpen}>
          {feature.name}
        </button>
        {feature.description && <span className="muted"> {feature.description}</span>}
        {/* The count includes drafts and old versions on v2 (server issue), so it is shown on v1 only. */}
        {!environment.use_v2_feature_versioning && feature.num_segment_overrides > 0 && (
          <span className="badge subtle" title="Segment overrides">
            {' '}
            {feature.num_segment_overrides === 1 ? '1 override' : `${feature.num_segment_overrides} overrides`}
          </span>
        )}
      </th>
      <td>{state ? <Switch isOn={state.enabled} label={`${feature.name} in ${environment.name}`} isBusy={isPending} onChange={onToggle} /> : '—'}</td>
      <td>
        <code>{state && state.feature_state_value !== null ? String(state.feature_state_value) : ''}</code>
      </td>
    </tr>
  );
}
