import { useEffect, useId, useState } from 'react';
import { segmentNamer } from '../versions/diff-names.js';
import { useAppServices } from '../../app/app-services.js';
import type { ChangeRequest, Environment, RebaseResolution, Segment } from '../../data/api-client.js';
import { approveChangeRequest, commitChangeRequest, conflictsOf, loadChangeRequestDetail, rebaseChangeRequest, userName, type ChangeRequestDetail } from '../../data/change-requests.js';
import { loadSegments } from '../../data/project-data.js';
import { describeError } from '../../ui/error-text.js';
import { formatDateTime } from '../../ui/format.js';
import { useResource } from '../../ui/use-resource.js';
import { DiffView } from '../versions/diff-view.js';
import { Approvals } from './approvals.js';
import { StatusBadge } from './change-request-list.js';
import { ConflictView } from './conflict-view.js';
import { ImpactPreviewPanel } from '../impact/impact-preview.js';
import { useImpactPreview } from '../impact/use-impact-preview.js';
import { RevertChangeRequest } from '../impact/revert-change-request.js';

interface Props {
  environment: Environment;
  changeRequestId: number;
}

/** Loads a change request and shows it; Escape goes back to the list. */
export function ChangeRequestPage({ environment, changeRequestId }: Props) {
  const { api, store } = useAppServices();
  const organisationId = store((s) => s.selection.organisationId) ?? 0;
  const session = store((s) => s.session);
  const [reload, setReload] = useState(0);
  const detail = useResource(`change-request:${changeRequestId}:${reload}`, () => loadChangeRequestDetail(api, environment, changeRequestId, organisationId));
  const segments = useResource(`segments:${environment.project}`, () => loadSegments(api, environment.project));
  const data = detail.status === 'ready' ? detail.data : detail.status === 'loading' ? detail.stale : undefined;

  useEffect(() => {
    function onKey(event: KeyboardEvent) {
      if (event.key !== 'Escape' || event.defaultPrevented) return;
      const target = event.target as HTMLElement | null;
      if (target?.closest('[role="dialog"]') || ['INPUT', 'SELECT', 'TEXTAREA'].includes(target?.tagName ?? '')) return;
      store.getState().openScreen('change-requests');
    }
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, [store]);

  return (
    <div className="change-request-page">
      <nav aria-label="Breadcrumb" className="crumbs">
        <button type="button" className="link" onClick={() => store.getState().openScreen('change-requests')}>
          ← Change requests
        </button>
      </nav>
      {detail.status === 'failed' && (
        <p role="alert" className="error">
          {describeError(detail.error)}
        </p>
      )}
      {!data && detail.status !== 'failed' && <p role="status">Loading the change request…</p>}
      {data && (
        <ChangeRequestDetailView
          key={reload}
          detail={data}
          segments={segments.status === 'ready' ? segments.data : []}
          currentUserId={session.status === 'signedIn' ? session.user.id : null}
          onApprove={async () => {
            await approveChangeRequest(api, data.changeRequest);
            setReload((r) => r + 1);
          }}
          onCommit={async () => {
            await commitChangeRequest(api, data.changeRequest);
            setReload((r) => r + 1);
          }}
          onRebase={async (resolutions) => {
            await rebaseChangeRequest(api, data.changeRequest, resolutions);
            setReload((r) => r + 1);
          }}
        />
      )}
    </div>
  );
}

function scheduleText(status: ChangeRequest['status'], isFuture: boolean, isCommitted: boolean, at: string): string {
  if (status === 'needs_rebase') return `scheduled for ${at}, did not go live: a conflicting change was published first`;
  if (!isCommitted) return isFuture ? `to go live at ${at}` : `was to go live at ${at}; committing now publishes it at once`;
  return isFuture ? `goes live at ${at}` : `went live at ${at}`;
}

interface DetailProps {
  detail: ChangeRequestDetail;
  segments: Segment[];
  /** The signed-in user (an author cannot approve their own request). */
  currentUserId: number | null;
  onApprove(): Promise<void>;
  onCommit(): Promise<void>;
  onRebase(resolutions: RebaseResolution[]): Promise<void>;
}

/** The impact of an open change request as a whole (issue 14). */
function ChangeRequestImpact({ changeRequest }: { changeRequest: ChangeRequest }) {
  const { api } = useAppServices();
  const controls = useImpactPreview(api, () => api.previewChangeRequestImpact(changeRequest.id, { revert: false }), `${changeRequest.id}:${changeRequest.content_hash}`);
  return (
    <section className="panel" aria-label="Impact of this change request">
      <ImpactPreviewPanel controls={controls} subject="this change request" unavailable={null} />
    </section>
  );
}

/**
 * A change request: per feature its diff against live (sentences and side by side), the approvals with
 * their stale markers, approve and commit; when it needs a rebase, the conflict view instead of commit.
 */
export function ChangeRequestDetailView({ detail, segments, currentUserId, onApprove, onCommit, onRebase }: DetailProps) {
  const id = useId();
  const { changeRequest: cr, diff, features, users } = detail;
  const [isBusy, setBusy] = useState(false);
  const [failure, setFailure] = useState<string | null>(null);
  const segmentName = segmentNamer(segments);
  const featureName = (featureId: number) => diff.features.find((f) => f.feature === featureId)?.feature_name ?? `Feature ${featureId}`;
  const conflicts = conflictsOf(cr, diff);
  const needsRebase = cr.status === 'needs_rebase' || conflicts.length > 0;
  const isOpen = !cr.is_committed;
  const liveFrom = cr.change_sets.map((s) => s.live_from).find((at) => at !== null) ?? null;
  const isFuture = liveFrom !== null && new Date(liveFrom).getTime() > Date.now();
  const hasApproved = cr.approvals.some((a) => a.user === currentUserId && a.approved_at !== null && !a.is_stale);

  async function run(action: () => Promise<void>) {
    setBusy(true);
    setFailure(null);
    try {
      await action();
    } catch (error) {
      setFailure(describeError(error));
      setBusy(false);
    }
  }

  return (
    <section className="change-request" aria-labelledby={`${id}-title`}>
      <header className="cr-head">
        <h2 id={`${id}-title`}>
          #{cr.id} {cr.title}
        </h2>
        <StatusBadge changeRequest={cr} />
      </header>
      <p className="muted">
        By {userName(users, cr.user)} on {formatDateTime(cr.created_at)}
        {cr.committed_at && ` · committed by ${userName(users, cr.committed_by)} on ${formatDateTime(cr.committed_at)}`}
        {liveFrom && ` · ${scheduleText(cr.status, isFuture, cr.is_committed, formatDateTime(liveFrom))}`}
      </p>
      {cr.description && <p className="description">{cr.description}</p>}

      {features.map((f) => (
        <section key={f.diff.feature} className="panel" aria-label={`Changes to ${f.diff.feature_name}`}>
          <h3>{f.diff.feature_name}</h3>
          {f.toPublish ? (
            <DiffView changes={f.diff.changes} before={f.live} after={f.toPublish} beforeLabel="Live" afterLabel="Change request" segmentName={segmentName} />
          ) : (
            <p className="muted">This change conflicts with what is live now; resolve the conflicts below to see what it would publish.</p>
          )}
        </section>
      ))}

      {isOpen && !needsRebase && <ChangeRequestImpact changeRequest={cr} />}
      {cr.status === 'committed' && <RevertChangeRequest changeRequest={cr} />}

      <Approvals changeRequest={cr} diff={diff} users={users} featureName={featureName} />

      {failure && (
        <p role="alert" className="error">
          {failure}
        </p>
      )}
      {needsRebase ? (
        <ConflictView conflicts={conflicts} segmentName={segmentName} onResolve={onRebase} />
      ) : (
        isOpen && (
          <div className="publish-row">
            {cr.user !== currentUserId && (
              <button type="button" disabled={isBusy || hasApproved} onClick={() => void run(onApprove)}>
                {hasApproved ? 'Approved by you' : 'Approve'}
              </button>
            )}
            <button type="button" className="primary" disabled={isBusy || !cr.is_approved} onClick={() => void run(onCommit)}>
              {isFuture ? `Commit: schedule for ${formatDateTime(liveFrom)}` : 'Commit now'}
            </button>
            {!cr.is_approved && <span className="muted">Needs {(cr.required_approvals ?? 0) - cr.current_approvals} more current approval(s) before commit.</span>}
          </div>
        )
      )}
    </section>
  );
}
