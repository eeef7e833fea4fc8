import { useId, useState, type FormEvent } from 'react';
import { segmentNamer, optionNamer } from '../versions/diff-names.js';
import { useAppServices } from '../../app/app-services.js';
import { ApiError, type Environment, type Feature, type FeatureVersion, type Segment, type VersionConflict } from '../../data/api-client.js';
import { loadReviewers, requestChangeFromDraft, requiresApprovals, resolveDraftConflicts } from '../../data/change-requests.js';
import { useResource } from '../../ui/use-resource.js';
import { discardDraft, loadDraftReview, publishDraft } from '../../data/feature-history.js';
import { formatValue } from '../../data/flag-value.js';
import { ConfirmDialog } from '../../ui/confirm-dialog.js';
import { describeError } from '../../ui/error-text.js';
import { formatDateTime, isNotInFuture, utcInputToIso } from '../../ui/format.js';
import { DiffView } from '../versions/diff-view.js';
import { ConflictView } from '../change-requests/conflict-view.js';
import { BypassPublishButton } from '../governance/bypass-publish.js';

interface Props {
  environment: Environment;
  feature: Feature;
  draft: FeatureVersion;
  segments: Segment[];
  /** Called after the draft was published, scheduled or discarded. */
  onDone(message: string): void;
}

type Conflict = VersionConflict;

function conflictsOf(error: unknown): Conflict[] {
  if (!(error instanceof ApiError)) return [];
  const conflicts = error.details?.conflicts;
  return Array.isArray(conflicts) ? (conflicts as Conflict[]) : [];
}

function show(value: unknown): string {
  if (value === null || value === undefined) return 'none';
  if (typeof value === 'object' && 'type' in (value as object)) return formatValue(value as Parameters<typeof formatValue>[0]);
  return typeof value === 'object' ? JSON.stringify(value) : String(value);
}

/**
 * The unpublished draft of a v2 feature: its diff against live, and publish now, schedule or discard; on
 * an environment that requires approvals, "Request change" turns it into a change request. A publish that
 * answers a conflict shows the conflict view to keep mine or live per field.
 */
export function DraftPanel({ environment, feature, draft, segments, onDone }: Props) {
  const { api, store } = useAppServices();
  const [isRequesting, setRequesting] = useState(false);
  const id = useId();
  const review = useResource(`draft:${draft.uuid}:${draft.updated_at}`, () => loadDraftReview(api, environment, feature, draft));
  const [liveFrom, setLiveFrom] = useState('');
  const [isBusy, setBusy] = useState(false);
  const [failure, setFailure] = useState<{ text: string; conflicts: Conflict[] } | null>(null);
  const [isConfirmingDiscard, setConfirmingDiscard] = useState(false);
  const segmentName = segmentNamer(segments);
  const optionName = optionNamer(feature);

  const isGoverned = requiresApprovals(environment);
  const [isPastTime, setPastTime] = useState(false);

  /** A time that has passed is not scheduled: the user is offered to publish now instead. */
  function schedule() {
    const at = utcInputToIso(liveFrom);
    if (at === null) return;
    if (isNotInFuture(at)) setPastTime(true);
    else void publish(at);
  }

  async function publish(at?: string) {
    setBusy(true);
    setFailure(null);
    try {
      const published = await publishDraft(api, environment, feature, draft, at);
      onDone(published.status === 'scheduled' ? `Scheduled to go live ${formatDateTime(published.live_from)}.` : 'Published: the new version is live.');
    } catch (error) {
      setFailure({ text: describeError(error), conflicts: conflictsOf(error) });
      setBusy(false);
    }
  }

  return (
    <section className="panel draft" aria-labelledby={`${id}-title`}>
      <DraftHead titleId={`${id}-title`} updatedAt={draft.updated_at} />
      {review.status === 'loading' && review.stale === undefined && <p role="status">Loading the draft’s changes…</p>}
      {review.status === 'failed' && (
        <p role="alert" className="error">
          {describeError(review.error)}
        </p>
      )}
      {(review.status === 'ready' || (review.status === 'loading' && review.stale)) && (
        <DiffView
          changes={(review.status === 'ready' ? review.data : review.stale!).diff.changes}
          before={(review.status === 'ready' ? review.data : review.stale!).live}
          after={(review.status === 'ready' ? review.data : review.stale!).draft}
          beforeLabel="Live"
          afterLabel="Draft"
          segmentName={segmentName}
          optionName={optionName}
        />
      )}
      {failure && (
        <div role="alert" className="error">
          <p>{failure.text}</p>
          {failure.conflicts.length > 0 && (
            <ul className="conflicts" aria-label="Conflicts">
              {failure.conflicts.map((c) => (
                <li key={c.path}>
                  <code>{c.path}</code>: was {show(c.base)}, live is now {show(c.live)}, this draft has {show(c.mine)}
                </li>
              ))}
            </ul>
          )}
        </div>
      )}
      {failure && failure.conflicts.length > 0 && (
        <ConflictView
          conflicts={failure.conflicts.map((conflict) => ({ feature: feature.id, featureName: feature.name, conflict }))}
          segmentName={segmentName}
          optionName={optionName}
          onResolve={async (resolutions) => {
            await resolveDraftConflicts(api, environment, feature, draft, resolutions);
            onDone('Conflicts resolved: the draft now starts from what is live. Review it and publish.');
          }}
        />
      )}
      {isGoverned ? (
        <div className="publish-row">
          <button type="button" className="primary" disabled={isBusy} aria-expanded={isRequesting} onClick={() => setRequesting((x) => !x)}>
            Request change
          </button>
          <BypassPublishButton environmentName={environment.name} featureName={feature.name} isDisabled={isBusy} onBypass={() => publish()} />
          <button type="button" className="quiet push-right" disabled={isBusy} onClick={() => setConfirmingDiscard(true)}>
            Discard draft
          </button>
        </div>
      ) : (
        <div className="publish-row">
          <button type="button" className="primary" disabled={isBusy} onClick={() => void publish()}>
            Publish now
          </button>
          <span className="or">or</span>
          <label htmlFor={`${id}-at`}>Go live at (UTC)</label>
          <input
            id={`${id}-at`}
            type="datetime-local"
            value={liveFrom}
            onChange={(e) => {
              setLiveFrom(e.target.value);
              setPastTime(false);
            }}
          />
          <button type="button" disabled={isBusy || liveFrom === ''} onClick={schedule}>
            Schedule
          </button>
          <button type="button" className="quiet push-right" disabled={isBusy} onClick={() => setConfirmingDiscard(true)}>
            Discard draft
          </button>
        </div>
      )}
      {isPastTime && !isGoverned && <PastTimeNotice isBusy={isBusy} onPublishNow={() => void publish()} />}
      {isGoverned && (
        <p className="muted">
          {environment.name} requires approvals: this draft goes live through a change request once it is approved.
        </p>
      )}
      {isRequesting && (
        <RequestChangeForm
          environment={environment}
          feature={feature}
          onCancel={() => setRequesting(false)}
          onSubmit={async (request) => {
            const created = await requestChangeFromDraft(api, environment, feature, draft, request);
            onDone(`Change request #${created.id} created.`);
            store.getState().openChangeRequest(created.id);
          }}
        />
      )}
      {isConfirmingDiscard && (
        <ConfirmDialog
          title="Discard this draft?"
          confirmLabel="Discard draft"
          isDestructive
          onCancel={() => setConfirmingDiscard(false)}
          onConfirm={async () => {
            await discardDraft(api, environment, feature, draft);
            setConfirmingDiscard(false);
            onDone('Draft discarded.');
          }}
        >
          <p>The draft’s changes to {feature.name} in {environment.name} are deleted. What is live stays as it is.</p>
        </ConfirmDialog>
      )}
    </section>
  );
}

interface RequestChangeProps {
  environment: Environment;
  feature: Feature;
  onSubmit(request: { title: string; description: string; liveFrom: string | null; assignees: number[] }): Promise<void>;
  onCancel(): void;
}

/** Title, description and an optional go-live time for a change request made from the draft (also used by the replica's draft panel). */
/** The heading of a draft panel (REST or local draft): its badge and when it was last edited. */
export function DraftHead({ titleId, updatedAt }: { titleId: string; updatedAt: string }) {
  return (
    <div className="draft-head">
      <h3 id={titleId}>
        Draft <span className="badge draft-badge">Not published</span>
      </h3>
      <span className="muted">Last edited {formatDateTime(updatedAt)}</span>
    </div>
  );
}

export function RequestChangeForm({ environment, feature, onSubmit, onCancel }: RequestChangeProps) {
  const id = useId();
  const { api, store } = useAppServices();
  const organisationId = store((s) => s.selection.organisationId);
  const session = store((s) => s.session);
  const authorId = session.status === 'signedIn' ? session.user.id : null;
  const reviewers = useResource(organisationId === undefined ? null : `reviewers:${organisationId}`, () => loadReviewers(api, organisationId!, authorId));
  const [assignees, setAssignees] = useState<number[]>([]);
  const [title, setTitle] = useState(`Change ${feature.name}`);
  const [description, setDescription] = useState('');
  const [liveFrom, setLiveFrom] = useState('');
  const [isBusy, setBusy] = useState(false);
  const [failure, setFailure] = useState<string | null>(null);
  const required = environment.minimum_change_request_approvals ?? 0;

  async function submit(event: FormEvent) {
    event.preventDefault();
    if (title.trim() === '' || isBusy) return;
    const at = liveFrom ? utcInputToIso(liveFrom) : null;
    if (at !== null && isNotInFuture(at)) {
      setFailure('That go-live time has passed: pick a later time, or leave it empty to go live when the request is committed.');
      return;
    }
    setBusy(true);
    setFailure(null);
    try {
      await onSubmit({ title: title.trim(), description: description.trim(), liveFrom: at, assignees });
    } catch (error) {
      setFailure(describeError(error));
      setBusy(false);
    }
  }

  return (
    <form className="request-change" aria-label="Request change" onSubmit={(e) => void submit(e)}>
      <p className="muted">
        {environment.name} needs {required === 1 ? 'one approval' : `${required} approvals`} before a change goes live. The draft’s changes move into the change request.
      </p>
      <div className="field-row">
        <label className="field-label" htmlFor={`${id}-title`}>
          Title
        </label>
        <input id={`${id}-title`} value={title} required maxLength={500} onChange={(e) => setTitle(e.target.value)} />
      </div>
      <div className="field-row">
        <label className="field-label" htmlFor={`${id}-description`}>
          Description
        </label>
        <textarea id={`${id}-description`} value={description} maxLength={20000} onChange={(e) => setDescription(e.target.value)} />
      </div>
      <div className="field-row">
        <label className="field-label" htmlFor={`${id}-live-from`}>
          Go live at, UTC (optional)
        </label>
        <input id={`${id}-live-from`} type="datetime-local" value={liveFrom} onChange={(e) => setLiveFrom(e.target.value)} />
      </div>
      {reviewers.status === 'ready' && reviewers.data.length > 0 && (
        <fieldset className="reviewers">
          <legend>Ask for a review from</legend>
          {reviewers.data.map((user) => (
            <label key={user.id} className="check">
              <input
                type="checkbox"
                checked={assignees.includes(user.id)}
                onChange={(e) => setAssignees((a) => (e.target.checked ? [...a, user.id] : a.filter((x) => x !== user.id)))}
              />
              {user.email}
            </label>
          ))}
        </fieldset>
      )}
      {failure && (
        <p role="alert" className="error">
          {failure}
        </p>
      )}
      <div className="actions">
        <button type="button" onClick={onCancel} disabled={isBusy}>
          Cancel
        </button>
        <button type="submit" className="primary" disabled={isBusy || title.trim() === ''}>
          {isBusy ? 'Creating…' : 'Create change request'}
        </button>
      </div>
    </form>
  );
}

/** Shown when the chosen go-live time has passed: it is not scheduled; publishing now is offered instead. */
export function PastTimeNotice({ isBusy, onPublishNow }: { isBusy: boolean; onPublishNow(): void }) {
  return (
    <p role="alert" className="error">
      That time has passed, so it cannot be scheduled.{' '}
      <button type="button" disabled={isBusy} onClick={onPublishNow}>
        Publish now instead
      </button>
    </p>
  );
}
