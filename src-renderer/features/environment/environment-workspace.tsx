import { useId } from 'react';
import { useAppServices } from '../../app/app-services.js';
import type { Screen } from '../../app/dashboard.store.js';
import type { Environment } from '../../data/api-client.js';
import { ErrorBoundary } from '../../ui/error-boundary.js';
import { Tabs } from '../../ui/tabs.js';
import { AuditLog } from '../audit/audit-log.js';
import { ChangeRequestList } from '../change-requests/change-request-list.js';
import { ChangeRequestPage } from '../change-requests/change-request-page.js';
import { FeatureList } from '../feature-list/feature-list.js';
import { FeaturePage } from '../feature-page/feature-page.js';
import { SegmentsScreen } from '../segments/segments-screen.js';
import { EnvironmentSettings } from '../settings/environment-settings.js';
import { WebhooksPanel } from '../webhooks/webhooks-panel.js';

const SCREENS: { key: Screen; label: string }[] = [
  { key: 'features', label: 'Features' },
  { key: 'change-requests', label: 'Change requests' },
  { key: 'segments', label: 'Segments' },
  { key: 'settings', label: 'Settings' },
  { key: 'webhooks', label: 'Webhooks' },
  { key: 'audit', label: 'Audit log' },
];

/** The selected environment: a summary, then its screens as tabs, each in its own error boundary. */
export function EnvironmentWorkspace({ environment, environments }: { environment: Environment; environments: Environment[] }) {
  const { store } = useAppServices();
  const id = useId();
  const view = store((s) => s.view);
  const screen: Screen = view.screen === 'feature' ? 'features' : view.screen === 'change-request' ? 'change-requests' : view.screen;

  return (
    <div className="environment">
      <EnvironmentDetails environment={environment} />
      <Tabs label="Environment sections" idPrefix={id} items={SCREENS} selected={screen} onSelect={(key) => store.getState().openScreen(key)} />
      <div role="tabpanel" id={`${id}-panel-${screen}`} aria-labelledby={`${id}-tab-${screen}`} className="tab-panel">
        {view.screen === 'features' && (
          <ErrorBoundary feature="the feature list">
            <FeatureList key={environment.id} environment={environment} />
          </ErrorBoundary>
        )}
        {view.screen === 'feature' && (
          <ErrorBoundary feature="the feature page">
            <FeaturePage key={`${environment.id}:${view.featureId}`} environment={environment} featureId={view.featureId} tab={view.tab} />
          </ErrorBoundary>
        )}
        {view.screen === 'change-requests' && (
          <ErrorBoundary feature="the change requests">
            <ChangeRequestList key={environment.id} environment={environment} />
          </ErrorBoundary>
        )}
        {view.screen === 'change-request' && (
          <ErrorBoundary feature="the change request">
            <ChangeRequestPage key={`${environment.id}:${view.changeRequestId}`} environment={environment} changeRequestId={view.changeRequestId} />
          </ErrorBoundary>
        )}
        {view.screen === 'segments' && (
          <ErrorBoundary feature="the segments">
            <SegmentsScreen key={environment.project} environment={environment} />
          </ErrorBoundary>
        )}
        {view.screen === 'settings' && (
          <ErrorBoundary feature="the environment settings">
            <EnvironmentSettings key={environment.id} environment={environment} />
          </ErrorBoundary>
        )}
        {view.screen === 'webhooks' && (
          <ErrorBoundary feature="the webhooks">
            <WebhooksPanel key={environment.id} environment={environment} />
          </ErrorBoundary>
        )}
        {view.screen === 'audit' && (
          <ErrorBoundary feature="the audit log">
            <AuditLog key={environment.id} environment={environment} environments={environments} />
          </ErrorBoundary>
        )}
      </div>
    </div>
  );
}

function EnvironmentDetails({ environment }: { environment: Environment }) {
  const id = useId();
  return (
    <section className="env-summary" aria-labelledby={id}>
      <h2 id={id}>
        <span className="sr-only">Environment: </span>
        {environment.name}
      </h2>
      <span className={`badge ${environment.use_v2_feature_versioning ? 'versioned' : ''}`}>{environment.use_v2_feature_versioning ? 'Versioned (v2)' : 'Not versioned (v1)'}</span>
      <span className="muted key" title="Client-side SDK key">
        <code>{environment.api_key}</code>
      </span>
      {environment.description && <p className="muted description">{environment.description}</p>}
    </section>
  );
}
