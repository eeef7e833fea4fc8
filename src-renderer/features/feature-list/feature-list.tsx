import { useEffect, useId, useRef, useState } from 'react';
import { useAppServices } from '../../app/app-services.js';
import type { Environment, Feature } from '../../data/api-client.js';
import { loadFeatureList, setFeatureEnabled } from '../../data/feature-editing.js';
import { describeError } from '../../ui/error-text.js';
import { Switch } from '../../ui/switch.js';
import { ConfirmDialog } from '../../ui/confirm-dialog.js';
import { requestToggleChange, requiresApprovals } from '../../data/change-requests.js';
import { useReadyReplica, useReplicaOrRest } from '../../replica/use-replica-source.js';
import { featureList$ } from '../../replica/replica-queries.js';
import { dismissIntent, intentStatusText } from '../../replica/intents.js';
import { useReplicaQuery } from '../../replica/use-replica.js';
import { featureListIntents$, toggleOnReplica, type RowIntent } from './replica-toggle.js';
import { NewFeatureDialog } from '../feature-admin/new-feature-dialog.js';

/**
 * The project's features with their state in one environment, filtered by a name search ("/" focuses
 * it). The switch saves the state on v1 and publishes a version on v2; the name opens the feature.
 * On v2 with a ready replica the switch works offline: it queues the publish (see replica-toggle.ts).
 * On an environment that requires approvals the switch changes nothing by itself: it asks, then creates a
 * change request for the new state (which needs the server).
 */
export function FeatureList({ environment }: { environment: Environment }) {
  const { api, store } = useAppServices();
  const id = useId();
  const searchRef = useRef<HTMLInputElement>(null);
  const [search, setSearch] = useState('');
  const [reload, setReload] = useState(0);
  const [pending, setPending] = useState<number | null>(null);
  const [failure, setFailure] = useState<string | null>(null);
  const [asking, setAsking] = useState<{ feature: Feature; enabled: boolean } | null>(null);
  const [isCreating, setCreating] = useState(false);
  const [created, setCreated] = useState<string | null>(null);
  const query = search.trim();
  const isVersioned = environment.use_v2_feature_versioning;
  // On v2 the replica holds every version, so the list reads each feature's live version there (live:
  // a publish elsewhere shows without reload). v1 feature states are not replicated: v1 stays on the API.
  const features = useReplicaOrRest(
    { key: `features:${environment.project}:${environment.id}:${isVersioned}:${query}:${reload}`, load: () => loadFeatureList(api, environment, query) },
    { key: isVersioned ? `features:${environment.project}:${environment.id}:${query}` : null, query: (db) => featureList$(db, environment, query) },
  );
  // While a new search loads, the previous rows stay (no flicker on every keystroke).
  const rows = features.status === 'ready' ? features.data : features.status === 'loading' ? features.stale : undefined;
  const replica = useReadyReplica();
  const replicaForToggle = isVersioned ? replica : null;
  const intents = useReplicaQuery(replicaForToggle ? `feature-list-intents:${environment.id}` : null, (db) => featureListIntents$(db, environment.id));

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
    // Issue 12 §2: where approvals are required the switch publishes nothing; it says so and offers a change request.
    if (requiresApprovals(environment)) {
      setAsking({ feature, enabled });
      return;
    }
    setPending(feature.id);
    setFailure(null);
    try {
      if (replicaForToggle) {
        const outcome = await toggleOnReplica(replicaForToggle, environment, feature, enabled, store.getState().selection.organisationId);
        // A draft with other unpublished edits (perhaps another admin's) is not published by the switch.
        // Opening the feature page is clearer than a confirm dialog here: the page shows the draft's
        // changes next to what is live and its own Publish button, so the user sees what would go out.
        if (outcome === 'has-draft') store.getState().openFeature(feature.id);
      } else {
        await setFeatureEnabled(api, environment, feature, enabled);
        setReload((r) => r + 1);
      }
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
        <button type="button" className="primary" onClick={() => setCreating(true)}>
          New feature
        </button>
      </div>
      {created && (
        <p role="status" className="notice">
          {created}
        </p>
      )}
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
      {features.status === 'ready' && features.data.length === 0 && (
        <div className="list-empty">
          <p className="muted">{query ? `No features match “${query}”.` : 'No features in this project yet. A feature is a flag, a remote config value, or a multivariate split.'}</p>
          {!query && (
            <button type="button" className="primary" onClick={() => setCreating(true)}>
              Create your first feature
            </button>
          )}
        </div>
      )}
      {isCreating && (
        <NewFeatureDialog
          projectId={environment.project}
          onCancel={() => setCreating(false)}
          onCreated={(feature) => {
            setCreating(false);
            setCreated(`${feature.name} was created in every environment of the project.`);
            setReload((r) => r + 1);
          }}
        />
      )}
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
                intent={intents?.get(feature.id) ?? null}
                onDismissIntent={(intentId) => {
                  if (replicaForToggle) void dismissIntent(replicaForToggle.db, intentId);
                }}
                onOpen={() => store.getState().openFeature(feature.id)}
                onToggle={(enabled) => void toggle(feature, enabled)}
              />
            ))}
          </tbody>
        </table>
      )}
      {asking && (
        <ConfirmDialog
          title={`${environment.name} requires approval`}
          confirmLabel="Create change request"
          onCancel={() => setAsking(null)}
          onConfirm={async () => {
            const created = await requestToggleChange(api, environment, asking.feature, asking.enabled);
            setAsking(null);
            store.getState().openChangeRequest(created.id);
          }}
        >
          <p>
            Turning {asking.feature.name} {asking.enabled ? 'on' : 'off'} in {environment.name} creates a change request. Nothing changes until it is approved and committed.
          </p>
        </ConfirmDialog>
      )}
    </section>
  );
}

interface RowProps {
  feature: Feature;
  environment: Environment;
  isPending: boolean;
  /** The feature's newest queued command that is not done yet (replica only). */
  intent: RowIntent | null;
  onOpen(): void;
  onToggle(enabled: boolean): void;
  onDismissIntent(intentId: string): void;
}

function FeatureRow({ feature, environment, isPending, intent, onOpen, onToggle, onDismissIntent }: RowProps) {
  const state = feature.environment_feature_state;
  const isQueued = intent?.intent.status === 'pending';
  const queuedTitle = intent?.pendingEnabled === true ? 'Turns on when the server is reachable.' : intent?.pendingEnabled === false ? 'Turns off when the server is reachable.' : 'Queued: publishes when the server is reachable.';
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
      <td>
        {/* The switch stays on what is live until the new version arrives; a queued toggle is busy. */}
        {state ? <Switch isOn={state.enabled} label={`${feature.name} in ${environment.name}`} isBusy={isPending || isQueued} onChange={onToggle} /> : '—'}
        {isQueued && (
          <>
            {' '}
            <span className="badge draft-badge" title={queuedTitle}>
              pending
            </span>
          </>
        )}
        {intent && !isQueued && (
          <span role="status" className="error intent-result">
            {' '}
            {intentStatusText(intent.intent)}{' '}
            <button type="button" className="link" onClick={() => onDismissIntent(intent.intent.id)}>
              Dismiss
            </button>
          </span>
        )}
      </td>
      <td>
        <code>{state && state.feature_state_value !== null ? String(state.feature_state_value) : ''}</code>
      </td>
    </tr>
  );
}
