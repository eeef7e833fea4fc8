import { useId, useState, type FormEvent } from 'react';
import { segmentNamer, optionNamer } from '../versions/diff-names.js';
import type { DraftDoc, VersionDoc } from '../../../src-shared/contracts/sync/documents.js';
import type { VersionContent } from '../../../src-shared/domain/versioning/version-content.js';
import type { Environment, Feature, Segment } from '../../data/api-client.js';
import type { ChangeRequestFromDraft } from '../../data/change-requests.js';
import { diffContents, statesFromContent, versionNames } from '../../replica/replica-reads.js';
import { ConfirmDialog } from '../../ui/confirm-dialog.js';
import { describeError } from '../../ui/error-text.js';
import { DiffView } from '../versions/diff-view.js';
import { BypassPublishButton } from '../governance/bypass-publish.js';
import { DraftHead, PastTimeNotice, RequestChangeForm } from './draft-panel.js';
import { isNotInFuture, utcInputToIso } from '../../ui/format.js';
import { keepAsNewDraft } from '../../replica/local-drafts.js';
import { useReplica } from '../../replica/use-replica.js';
import { useAppServices } from '../../app/app-services.js';
import type { ImpactPreview } from '../../data/api-client.js';
import { useImpactPreview } from '../impact/use-impact-preview.js';
import { ImpactPreviewPanel, ImpactSummary } from '../impact/impact-preview.js';

/** On an environment that requires approvals the draft goes live through a change request, made on the server. */
export interface ChangeRequestRoute {
  /** The environment, with the number of approvals it requires as the replica has it. */
  environment: Environment;
  /** The server cannot be reached: a change request cannot be made now. */
  isOffline: boolean;
  onRequest(request: ChangeRequestFromDraft): Promise<void>;
  /** Publishes directly past the approvals (online only; the server checks the bypass permission and audits it). */
  onBypass(): Promise<void>;
}

interface Props {
  feature: Feature;
  environmentName: string;
  draft: DraftDoc;
  /** The live version, or null (the draft then compares with the feature's defaults). */
  live: VersionDoc | null;
  liveContent: VersionContent;
  segments: Segment[];
  /** An intent for this draft is still waiting for the server. */
  isQueued: boolean;
  /** A newer version went live since the draft's base, and the merge is clean. */
  isStaleClean: boolean;
  onPublish(): Promise<void>;
  onSchedule(liveFrom: string): Promise<void>;
  onDiscard(): Promise<void>;
  /** Set when the environment requires approvals: "Request change" replaces Publish and Schedule…. */
  changeRequest: ChangeRequestRoute | null;
  /** The impact preview of the draft (issue 14): how to start it on the server, or why it cannot run now. */
  impact: { start(): Promise<ImpactPreview>; unavailable: string | null };
}

/**
 * The draft of a v2 feature kept in the local replica: its diff against live, computed here so it works
 * offline, and Publish / Schedule… which queue intents the server runs when it gets them. On an
 * environment that requires approvals a queued publish would only come back refused, so the draft offers
 * "Request change" instead, which needs the server.
 */
export function LocalDraftPanel({ feature, environmentName, draft, live, liveContent, segments, isQueued, isStaleClean, onPublish, onSchedule, onDiscard, changeRequest, impact }: Props) {
  const id = useId();
  const { api } = useAppServices();
  const impactControls = useImpactPreview(api, impact.start, `${draft.id}:${draft.updatedAt}`);
  const replica = useReplica();
  const [isScheduling, setScheduling] = useState(false);
  const [isRequesting, setRequesting] = useState(false);
  const [liveFrom, setLiveFrom] = useState('');
  const [isBusy, setBusy] = useState(false);
  const [failure, setFailure] = useState<string | null>(null);
  const [isConfirmingDiscard, setConfirmingDiscard] = useState(false);
  const content = draft.content as VersionContent;
  const changes = diffContents(liveContent, content, versionNames(segments, feature));
  const liveId = live?.id ?? 'defaults';
  const segmentName = segmentNamer(segments);
  const optionName = optionNamer(feature);

  async function run(action: () => Promise<void>) {
    setBusy(true);
    setFailure(null);
    try {
      await action();
      setScheduling(false);
    } catch (error) {
      setFailure(describeError(error));
    } finally {
      setBusy(false);
    }
  }

  const [isPastTime, setPastTime] = useState(false);

  /** A time that has passed is not queued as a schedule: publishing now is offered instead. */
  function schedule(event: FormEvent) {
    event.preventDefault();
    const at = utcInputToIso(liveFrom);
    if (at === null) return;
    if (isNotInFuture(at)) setPastTime(true);
    else void run(() => onSchedule(at));
  }

  return (
    <section className="panel draft" aria-labelledby={`${id}-title`}>
      <DraftHead titleId={`${id}-title`} updatedAt={draft.updatedAt} />
      {draft.error && (
        <p role="alert" className="error">
          The server refused this draft: {draft.error.message} Your edits are kept on this device.{' '}
          {replica && (
            <button type="button" className="link" disabled={isBusy} onClick={() => void run(async () => void (await keepAsNewDraft(replica.db, draft, replica.userId)))}>
              Keep my edits in a new draft
            </button>
          )}
        </p>
      )}
      {isStaleClean && <p className="muted">A newer version went live since this draft was made. Publishing keeps both: the changes do not overlap.</p>}
      {changes.length === 0 ? (
        <p className="muted">No changes from live yet.</p>
      ) : (
        <DiffView
          changes={changes}
          before={statesFromContent(liveContent, feature.id, draft.environmentId, liveId)}
          after={statesFromContent(content, feature.id, draft.environmentId, draft.id)}
          beforeLabel="Live"
          afterLabel="Draft"
          segmentName={segmentName}
          optionName={optionName}
        />
      )}
      {changes.length > 0 && <ImpactPreviewPanel controls={impactControls} subject="this draft" unavailable={impact.unavailable} />}
      {failure && (
        <p role="alert" className="error">
          {failure}
        </p>
      )}
      <div className="publish-row">
        {changeRequest && (
          <button
            type="button"
            className="primary"
            disabled={isBusy || changeRequest.isOffline}
            aria-expanded={isRequesting}
            aria-describedby={changeRequest.isOffline ? `${id}-offline` : undefined}
            onClick={() => setRequesting((x) => !x)}
          >
            Request change
          </button>
        )}
        {changeRequest ? (
          <BypassPublishButton environmentName={environmentName} featureName={feature.name} isDisabled={isBusy || changeRequest.isOffline} onBypass={() => run(changeRequest.onBypass)} />
        ) : (
          <>
            <button type="button" className="primary" disabled={isBusy || isQueued} onClick={() => void run(onPublish)}>
              Publish
            </button>
            <button type="button" disabled={isBusy || isQueued} aria-expanded={isScheduling} onClick={() => setScheduling((x) => !x)}>
              Schedule…
            </button>
          </>
        )}
        <button type="button" className="quiet push-right" disabled={isBusy} onClick={() => setConfirmingDiscard(true)}>
          Discard draft
        </button>
      </div>
      {changeRequest && (
        <p id={`${id}-approvals`} className="muted">
          This environment requires approvals: the draft goes live through a change request once it is approved.
        </p>
      )}
      {changeRequest?.isOffline && (
        <p id={`${id}-offline`} className="muted">
          Requesting a change needs the server, which cannot be reached now. Your draft is kept on this device.
        </p>
      )}
      {changeRequest && isRequesting && (
        <RequestChangeForm environment={changeRequest.environment} feature={feature} onCancel={() => setRequesting(false)} onSubmit={changeRequest.onRequest} />
      )}
      {!changeRequest && isScheduling && (
        <form className="schedule" aria-label="Schedule" onSubmit={schedule}>
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
          <button type="submit" className="primary" disabled={isBusy || liveFrom === ''}>
            Queue schedule
          </button>
          <ImpactSummary controls={impactControls} unavailable={impact.unavailable} />
        </form>
      )}
      {!changeRequest && isScheduling && isPastTime && <PastTimeNotice isBusy={isBusy || isQueued} onPublishNow={() => void run(onPublish)} />}
      {isConfirmingDiscard && (
        <ConfirmDialog
          title="Discard this draft?"
          confirmLabel="Discard draft"
          isDestructive
          onCancel={() => setConfirmingDiscard(false)}
          onConfirm={async () => {
            await onDiscard();
            setConfirmingDiscard(false);
          }}
        >
          <p>The draft’s changes to {feature.name} in {environmentName} are deleted. What is live stays as it is.</p>
        </ConfirmDialog>
      )}
    </section>
  );
}
