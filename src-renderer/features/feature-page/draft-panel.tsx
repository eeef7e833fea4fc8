import { useId, useState } from 'react';
import { useAppServices } from '../../app/app-services.js';
import { ApiError, type Environment, type Feature, type FeatureVersion, type Segment } from '../../data/api-client.js';
import { discardDraft, loadDraftReview, publishDraft } from '../../data/feature-history.js';
import { formatValue, valueToText } from '../../data/flag-value.js';
import { ConfirmDialog } from '../../ui/confirm-dialog.js';
import { describeError } from '../../ui/error-text.js';
import { formatDateTime } from '../../ui/format.js';
import { useResource } from '../../ui/use-resource.js';
import { DiffView } from '../versions/diff-view.js';

interface Props {
  environment: Environment;
  feature: Feature;
  draft: FeatureVersion;
  segments: Segment[];
  /** Called after the draft was published, scheduled or discarded. */
  onDone(message: string): void;
}

interface Conflict {
  path: string;
  base: unknown;
  live: unknown;
  mine: unknown;
}

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

/** The unpublished draft of a v2 feature: its diff against live, and publish now, schedule or discard. */
export function DraftPanel({ environment, feature, draft, segments, onDone }: Props) {
  const { api } = useAppServices();
  const id = useId();
  const review = useResource(`draft:${draft.uuid}:${draft.updated_at}`, () => loadDraftReview(api, environment, feature, draft));
  const [liveFrom, setLiveFrom] = useState('');
  const [isBusy, setBusy] = useState(false);
  const [failure, setFailure] = useState<{ text: string; conflicts: Conflict[] } | null>(null);
  const [isConfirmingDiscard, setConfirmingDiscard] = useState(false);
  const segmentName = (segmentId: number) => segments.find((s) => s.id === segmentId)?.name ?? `Segment ${segmentId}`;
  const optionName = (optionId: number) => {
    const option = feature.multivariate_options.find((o) => o.id === optionId);
    return option ? `"${valueToText(option)}"` : `option ${optionId}`;
  };

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
      <div className="draft-head">
        <h3 id={`${id}-title`}>
          Draft <span className="badge draft-badge">Not published</span>
        </h3>
        <span className="muted">Last edited {formatDateTime(draft.updated_at)}</span>
      </div>
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
      <div className="publish-row">
        <button type="button" className="primary" disabled={isBusy} onClick={() => void publish()}>
          Publish now
        </button>
        <span className="or">or</span>
        <label htmlFor={`${id}-at`}>Go live at</label>
        <input id={`${id}-at`} type="datetime-local" value={liveFrom} onChange={(e) => setLiveFrom(e.target.value)} />
        <button type="button" disabled={isBusy || liveFrom === ''} onClick={() => void publish(new Date(liveFrom).toISOString())}>
          Schedule
        </button>
        <button type="button" className="quiet push-right" disabled={isBusy} onClick={() => setConfirmingDiscard(true)}>
          Discard draft
        </button>
      </div>
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
