import { useState } from 'react';
import { useAppServices } from '../../app/app-services.js';
import { ApiError, type ChangeRequest, type RevertResult } from '../../data/api-client.js';
import { ConfirmDialog } from '../../ui/confirm-dialog.js';
import { describeError } from '../../ui/error-text.js';
import { ImpactPreviewPanel } from './impact-preview.js';
import { useImpactPreview } from './use-impact-preview.js';

type Conflict = { feature: number; feature_name: string; reason: string };

function conflictsOf(error: unknown): Conflict[] | null {
  if (!(error instanceof ApiError) || error.code !== 'REVISION_CONFLICT') return null;
  const conflicts = error.details?.conflicts;
  return Array.isArray(conflicts) ? (conflicts as Conflict[]) : null;
}

function revertedText(result: RevertResult): string {
  const names = (list: { feature_name: string }[]) => list.map((x) => x.feature_name).join(', ');
  const reverted = result.reverted.length > 0 ? `Reverted ${names(result.reverted)}.` : 'Nothing was reverted.';
  return result.skipped.length > 0 ? `${reverted} Left as they are: ${names(result.skipped)}.` : reverted;
}

interface Props {
  changeRequest: ChangeRequest;
  /** Called after a revert. */
  onReverted?(result: RevertResult): void;
}

/**
 * "Revert this change request" on a committed change request (issue 14): the impact of going back, then
 * one call that gives every feature its earlier content as new versions (or one new change request where
 * the environment requires approvals). Features that changed again since block it, listed by name, with
 * the choice to revert the others.
 */
export function RevertChangeRequest({ changeRequest: cr, onReverted }: Props) {
  const { api, store } = useAppServices();
  const controls = useImpactPreview(api, () => api.previewChangeRequestImpact(cr.id, { revert: true }), `revert:${cr.id}`);
  const [isConfirming, setConfirming] = useState(false);
  const [conflicts, setConflicts] = useState<Conflict[] | null>(null);
  const [result, setResult] = useState<RevertResult | null>(null);
  const [failure, setFailure] = useState<string | null>(null);
  const needsApproval = (cr.required_approvals ?? 0) > 0;

  async function revert(skipConflicting: boolean) {
    setFailure(null);
    try {
      const answer = await api.revertChangeRequest(cr.id, { skipConflicting });
      setResult(answer);
      setConflicts(null);
      setConfirming(false);
      onReverted?.(answer);
    } catch (error) {
      const found = conflictsOf(error);
      setConfirming(false);
      if (found) setConflicts(found);
      else setFailure(describeError(error));
    }
  }

  return (
    <section className="panel revert" aria-label="Revert this change request">
      <h3>Revert this change request</h3>
      <p className="muted">
        Gives every feature it changed the content it had before, as new versions{needsApproval ? ', through a new change request (this environment requires approvals)' : ''}. History keeps both.
      </p>
      {!result && <ImpactPreviewPanel controls={controls} subject="the revert" unavailable={null} />}
      {conflicts && (
        <div role="alert" className="conflict-note">
          <p>Nothing was reverted: {conflicts.length === 1 ? 'a feature' : `${conflicts.length} features`} changed again since this change request was committed.</p>
          <ul>
            {conflicts.map((c) => (
              <li key={c.feature}>
                <strong>{c.feature_name}</strong>: {c.reason}
              </li>
            ))}
          </ul>
          <button type="button" onClick={() => void revert(true)}>
            Revert the other features
          </button>
        </div>
      )}
      {failure && (
        <p role="alert" className="error">
          {failure}
        </p>
      )}
      {result && (
        <p role="status">
          {result.change_request !== null ? (
            <>
              Change request #{result.change_request} holds the revert; it goes live once approved.{' '}
              <button type="button" className="link" onClick={() => store.getState().openChangeRequest(result.change_request!)}>
                Open it
              </button>
            </>
          ) : (
            revertedText(result)
          )}
        </p>
      )}
      {!result && (
        <div className="publish-row">
          <button type="button" onClick={() => setConfirming(true)}>
            {needsApproval ? 'Request a revert…' : 'Revert…'}
          </button>
        </div>
      )}
      {isConfirming && (
        <ConfirmDialog title={`Revert “${cr.title}”?`} confirmLabel={needsApproval ? 'Create the revert request' : 'Revert now'} onCancel={() => setConfirming(false)} onConfirm={() => revert(false)}>
          <p>Every feature this change request changed goes back to the version it replaced{needsApproval ? ' once the new change request is approved and committed' : ', live now'}.</p>
        </ConfirmDialog>
      )}
    </section>
  );
}
