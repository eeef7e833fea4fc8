import { useId, useMemo, useState } from 'react';
import { segmentNamer, optionNamer } from '../versions/diff-names.js';
import { useAppServices } from '../../app/app-services.js';
import type { Environment, Feature, Segment } from '../../data/api-client.js';
import {
  cancelScheduledVersion,
  compareVersions,
  compareVersionsLocally,
  historyFromVersionDocs,
  loadFeatureHistory,
  loadOrganisationUsersCached,
  requestRollBack,
  rollBackToVersion,
  type HistoryEntry,
  type VersionComparison,
} from '../../data/feature-history.js';
import { featureVersions$ } from '../../replica/replica-queries.js';
import { versionNames } from '../../replica/replica-reads.js';
import { useReadyReplica } from '../../replica/use-replica-source.js';
import { useReplicaQuery, useSyncStatus } from '../../replica/use-replica.js';
import { ConfirmDialog } from '../../ui/confirm-dialog.js';
import { describeError } from '../../ui/error-text.js';
import { formatDateTime, shortId } from '../../ui/format.js';
import { requiresApprovals } from '../../data/change-requests.js';
import { useResource, type Resource } from '../../ui/use-resource.js';
import { DiffView } from '../versions/diff-view.js';
import { HistoryList, versionLabel } from './history-list.js';

interface Props {
  environment: Environment;
  feature: Feature;
  organisationId: number;
  segments: Segment[];
  onChanged(): void;
}

/**
 * The History tab of a v2 feature: versions, compare any two, roll back with confirmation. Once the
 * replica has replicated, the versions come from it (live) and comparisons are computed locally, so both
 * work offline; rolling back publishes on the server and waits for it.
 */
export function HistoryTab({ environment, feature, organisationId, segments, onChanged }: Props) {
  const { api } = useAppServices();
  const id = useId();
  const [reload, setReload] = useState(0);
  const [ticked, setSelected] = useState<string[]>([]);
  const [comparing, setComparing] = useState<[string, string] | null>(null);
  const [rollingBack, setRollingBack] = useState<HistoryEntry | null>(null);
  const [cancelling, setCancelling] = useState<HistoryEntry | null>(null);
  const { store } = useAppServices();
  const isGoverned = requiresApprovals(environment);
  const [notice, setNotice] = useState<string | null>(null);
  const replica = useReadyReplica();
  const isOffline = useSyncStatus()?.connection === 'offline';
  const restHistory = useResource(replica ? null : `history:${environment.id}:${feature.id}:${reload}`, () => loadFeatureHistory(api, environment, feature, organisationId));
  const replicated = useReplicaQuery(replica ? `history:${environment.id}:${feature.id}` : null, (db) => featureVersions$(db, environment.id, feature.id));
  const users = useResource(replica ? `users:${organisationId}` : null, () => loadOrganisationUsersCached(api, organisationId));
  const replicatedEntries = useMemo(
    // Authors show as ids until (or unless) the member list answers.
    () => replicated && historyFromVersionDocs(replicated.versions, feature.id, users.status === 'ready' ? users.data : [], replicated.now),
    [replicated, users, feature.id],
  );
  const history: Resource<HistoryEntry[]> = replica ? (replicatedEntries ? { status: 'ready', data: replicatedEntries } : { status: 'loading' }) : restHistory;
  const entries = history.status === 'ready' ? history.data : history.status === 'loading' ? history.stale : undefined;
  // A ticked version that has gone (a cancelled schedule, a discarded draft replicated away) is no longer chosen.
  const selected = ticked.filter((uuid) => entries?.some((e) => e.version.uuid === uuid) ?? true);
  const localComparison = useMemo(() => {
    const [a, b] = comparing?.map((uuid) => entries?.find((e) => e.version.uuid === uuid)) ?? [];
    return a && b ? compareVersionsLocally(a, b, versionNames(segments, feature)) : null;
  }, [comparing, entries, segments, feature]);
  const remoteComparison = useResource(comparing && !localComparison ? `compare:${comparing.join(':')}:${reload}` : null, () => {
    const [a, b] = comparing!.map((uuid) => entries!.find((e) => e.version.uuid === uuid)!);
    return compareVersions(api, environment, feature, a!, b!);
  });
  const comparison: Resource<VersionComparison> = localComparison ? { status: 'ready', data: localComparison } : remoteComparison;
  const segmentName = segmentNamer(segments);
  const optionName = optionNamer(feature);

  function toggle(uuid: string) {
    setSelected(selected.includes(uuid) ? selected.filter((x) => x !== uuid) : [...selected, uuid].slice(-2));
  }

  if (history.status === 'failed') {
    return (
      <p role="alert" className="error">
        {describeError(history.error)}
      </p>
    );
  }
  if (!entries) return <p role="status">Loading the history…</p>;
  return (
    <div className="history-tab" aria-busy={history.status === 'loading'}>
      {notice && (
        <p role="status" className="notice">
          {notice}
        </p>
      )}
      <div className="toolbar">
        <span className="muted">{selected.length < 2 ? 'Tick two versions to compare them.' : 'Two versions chosen.'}</span>
        <button type="button" className="primary" disabled={selected.length !== 2} onClick={() => setComparing([selected[0]!, selected[1]!])}>
          Compare
        </button>
      </div>
      <HistoryList
        featureName={feature.name}
        entries={entries}
        selected={selected}
        onToggleSelected={toggle}
        onRollBack={setRollingBack}
        onCancelSchedule={setCancelling}
        rollBackBlockedReason={isOffline ? 'needs the server' : null}
      />
      {comparing && (
        <section className="panel comparison" aria-labelledby={`${id}-compare`}>
          <div className="draft-head">
            <h3 id={`${id}-compare`}>
              {comparison.status === 'ready' ? `Comparing ${versionLabel(comparison.data.older)} → ${versionLabel(comparison.data.newer)}` : 'Comparing versions'}
            </h3>
            <button type="button" className="quiet" onClick={() => setComparing(null)}>
              Close comparison
            </button>
          </div>
          {comparison.status === 'loading' && <p role="status">Loading the comparison…</p>}
          {comparison.status === 'failed' && (
            <p role="alert" className="error">
              {describeError(comparison.error)}
            </p>
          )}
          {comparison.status === 'ready' && (
            <DiffView
              changes={comparison.data.diff.changes}
              before={comparison.data.older.states}
              after={comparison.data.newer.states}
              beforeLabel={`Older (${shortId(comparison.data.older.version.uuid)})`}
              afterLabel={`Newer (${shortId(comparison.data.newer.version.uuid)})`}
              segmentName={segmentName}
              optionName={optionName}
            />
          )}
        </section>
      )}
      {rollingBack && (
        <ConfirmDialog
          title={`Roll back ${feature.name}?`}
          confirmLabel={isGoverned ? 'Create change request' : 'Roll back'}
          onCancel={() => setRollingBack(null)}
          onConfirm={async () => {
            if (isGoverned) {
              const created = await requestRollBack(api, environment, feature, rollingBack, entries.find((e) => e.isCurrent), versionLabel(rollingBack));
              setRollingBack(null);
              store.getState().openChangeRequest(created.id);
              return;
            }
            await rollBackToVersion(api, environment, feature, rollingBack.version.uuid);
            setNotice(`Rolled back: the version of ${versionLabel(rollingBack)} is live again as a new version.`);
            setRollingBack(null);
            setSelected([]);
            setComparing(null);
            setReload((r) => r + 1);
            onChanged();
          }}
        >
          {isGoverned ? (
            <p>
              {environment.name} requires approvals: rolling back creates a change request that brings back the version of {versionLabel(rollingBack)}. Nothing changes until it is approved and committed.
            </p>
          ) : (
            <p>
              A new version with the content of the version of {versionLabel(rollingBack)} is published in {environment.name} now. The versions in between stay in the history.
            </p>
          )}
        </ConfirmDialog>
      )}
      {cancelling && (
        <ConfirmDialog
          title="Cancel this scheduled change?"
          confirmLabel="Cancel schedule"
          isDestructive
          onCancel={() => setCancelling(null)}
          onConfirm={async () => {
            await cancelScheduledVersion(api, environment, feature, cancelling.version.uuid);
            setNotice(`Schedule cancelled: the change planned for ${formatDateTime(cancelling.version.live_from)} will not go live.`);
            setCancelling(null);
            setSelected((s) => s.filter((uuid) => uuid !== cancelling.version.uuid));
            setReload((r) => r + 1);
            onChanged();
          }}
        >
          <p>
            The version of {feature.name} scheduled for {formatDateTime(cancelling.version.live_from)} in {environment.name} is deleted. What is live stays as it is.
          </p>
        </ConfirmDialog>
      )}
    </div>
  );
}
