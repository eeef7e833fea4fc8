import { useEffect, useId, useState } from 'react';
import { useAppServices } from '../../app/app-services.js';
import type { FeatureTab } from '../../app/dashboard.store.js';
import type { Environment, Feature, Segment } from '../../data/api-client.js';
import { loadFeature } from '../../data/feature-editing.js';
import { loadSegments } from '../../data/project-data.js';
import { ErrorBoundary } from '../../ui/error-boundary.js';
import { describeError } from '../../ui/error-text.js';
import { Tabs } from '../../ui/tabs.js';
import { useResource, type Resource } from '../../ui/use-resource.js';
import { HistoryTab } from '../history/history-tab.js';
import { ValueTab } from './value-tab.js';
import { ReplicaValueTab } from './replica-value-tab.js';
import { replicatedFeature$, replicatedResource } from './replicated-feature.js';
import { useReplica, useReplicaQuery, useSyncStatus } from '../../replica/use-replica.js';
import { FeatureSettings } from '../feature-admin/feature-settings.js';

interface Props {
  environment: Environment;
  featureId: number;
  tab: FeatureTab;
}

/** One feature in one environment: its value and overrides, and on v2 its History. Escape goes back. */
export function FeaturePage({ environment, featureId, tab }: Props) {
  const { api, store } = useAppServices();
  const id = useId();
  const organisationId = store((s) => s.selection.organisationId);
  const [reload, setReload] = useState(0);
  const isVersioned = environment.use_v2_feature_versioning;
  // On v2, once the replica holds everything, the page reads and writes it (offline too); v1 stays on REST.
  const replica = useReplica();
  const isReplicaReady = useSyncStatus()?.initial?.finished === true;
  const fromReplica = isVersioned && replica !== null && isReplicaReady ? replica : null;
  const replicated = useReplicaQuery(fromReplica ? `feature-page:${environment.id}:${featureId}` : null, (db) => replicatedFeature$(db, environment, featureId));
  const rest = useResource(fromReplica ? null : `feature:${environment.id}:${featureId}:${reload}`, () => loadFeature(api, environment, featureId));
  const restSegments = useResource(fromReplica ? null : `segments:${environment.project}`, () => loadSegments(api, environment.project));
  const feature: Resource<Feature> = fromReplica ? replicatedResource(replicated, (r) => r.feature, `Feature ${featureId} is not in this project.`) : rest;
  const segments: Resource<Segment[]> = fromReplica ? replicatedResource(replicated, (r) => r.segments) : restSegments;
  const shownTab = isVersioned ? tab : 'value';
  const data = feature.status === 'ready' ? feature.data : feature.status === 'loading' ? feature.stale : undefined;

  useEffect(() => {
    function onKey(event: KeyboardEvent) {
      if (event.key !== 'Escape' || event.defaultPrevented) return;
      const target = event.target as HTMLElement | null;
      if (target?.closest('[role="dialog"]') || ['INPUT', 'SELECT', 'TEXTAREA'].includes(target?.tagName ?? '')) return;
      store.getState().openScreen('features');
    }
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, [store]);

  return (
    <section className="feature-page" aria-labelledby={`${id}-title`}>
      <nav aria-label="Breadcrumb" className="crumbs">
        <button type="button" className="link" onClick={() => store.getState().openScreen('features')}>
          ← Features
        </button>
      </nav>
      {feature.status === 'failed' && (
        <p role="alert" className="error">
          {describeError(feature.error)}
        </p>
      )}
      <header className="feature-head">
        <h2 id={`${id}-title`}>{data?.name ?? 'Feature'}</h2>
        {data?.description && <p className="muted">{data.description}</p>}
        <span className={`badge ${isVersioned ? 'versioned' : ''}`}>{isVersioned ? 'Versioned (v2)' : 'Not versioned (v1)'}</span>
      </header>
      {isVersioned && (
        <Tabs
          label="Feature sections"
          idPrefix={id}
          items={[
            { key: 'value', label: 'Value' },
            { key: 'history', label: 'History' },
          ]}
          selected={shownTab}
          onSelect={(key) => store.getState().openFeature(featureId, key)}
        />
      )}
      <div role={isVersioned ? 'tabpanel' : undefined} id={`${id}-panel-${shownTab}`} aria-labelledby={isVersioned ? `${id}-tab-${shownTab}` : undefined} className="tab-panel">
        {data && segments.status === 'ready' && shownTab === 'value' && (
          <ErrorBoundary feature="the value editor">
            {fromReplica ? (
              <ReplicaValueTab replica={fromReplica} environment={environment} feature={data} segments={segments.data} />
            ) : (
              <ValueTab environment={environment} feature={data} onChanged={() => setReload((r) => r + 1)} />
            )}
          </ErrorBoundary>
        )}
        {data && segments.status === 'ready' && shownTab === 'history' && organisationId !== undefined && (
          <ErrorBoundary feature="the history">
            <HistoryTab environment={environment} feature={data} organisationId={organisationId} segments={segments.data} onChanged={() => setReload((r) => r + 1)} />
          </ErrorBoundary>
        )}
        {segments.status === 'failed' && (
          <p role="alert" className="error">
            {describeError(segments.error)}
          </p>
        )}
        {(!data || segments.status === 'loading') && feature.status !== 'failed' && <p role="status">Loading…</p>}
      </div>
      {data && shownTab === 'value' && (
        <ErrorBoundary feature="the feature settings">
          <FeatureSettings feature={data} onChanged={() => setReload((r) => r + 1)} />
        </ErrorBoundary>
      )}
    </section>
  );
}
