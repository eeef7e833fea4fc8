import { requiresChangeRequests } from '../../../src-shared/domain/change-requests/direct-change.rules.js';
import { NoticeError } from '../../ui/error-text.js';
import { segmentNamer, optionNamer } from '../versions/diff-names.js';
import { useMemo, useState } from 'react';
import { combineLatest, map } from 'rxjs';
import { useStore } from 'zustand';
import type { DraftDoc, IntentDoc, VersionDoc } from '../../../src-shared/contracts/sync/documents.js';
import { resolveMergeConflicts, type MergeSide } from '../../../src-shared/domain/versioning/three-way-merge.js';
import type { VersionContent } from '../../../src-shared/domain/versioning/version-content.js';
import { useAppServices } from '../../app/app-services.js';
import type { Environment, Feature, Segment, VersionConflict } from '../../data/api-client.js';
import { requestChangeFromDraft, type ChangeRequestFromDraft } from '../../data/change-requests.js';
import { applyEditorChangesToDraft, editorContentOfVersion, type FeatureEditorContent } from '../../data/feature-editing.js';
import { valueToText } from '../../data/flag-value.js';
import { conflictForView, mergeStaleDraft } from '../../replica/draft-conflicts.js';
import { dismissIntent, intentStatusText, intentsForFeature$, isIntentFinished, queuePublish, queueSchedule, withoutDismissed } from '../../replica/intents.js';
import { createLocalDraft, defaultContentOf, discardLocalDraft, editLocalDraft, localDraft$ } from '../../replica/local-drafts.js';
import type { Replica } from '../../replica/replica.js';
import { liveVersionOf } from '../../../src-shared/domain/versioning/live-version.js';
import { useReplicaQuery } from '../../replica/use-replica.js';
import { ConflictView } from '../change-requests/conflict-view.js';
import { LocalDraftPanel, type ChangeRequestRoute } from './local-draft-panel.js';
import { ValueEditor } from './value-editor.js';

interface Props {
  replica: Replica;
  environment: Environment;
  feature: Feature;
  /** The project's segments. */
  segments: Segment[];
}

interface FeatureReplicaData {
  versions: VersionDoc[];
  draft: DraftDoc | null;
  intents: IntentDoc[];
  organisationId: number | null;
  /** Approvals a change needs in this environment, as replicated (0: none, changes are published directly). */
  requiredApprovals: number | null;
}

/** Which intent the page reports: the newest, unless it is about an older draft than the one being edited. */
function shownIntentOf(intents: IntentDoc[], draft: DraftDoc | null): IntentDoc | null {
  const latest = intents[0] ?? null;
  if (!latest || !draft || latest.versionUuid === draft.id || latest.status === 'pending') return latest;
  return null;
}

/**
 * The Value tab on a v2 environment with a replica (issue 6): the editor reads and writes the local draft
 * (a Yjs document; no request is made), Publish and Schedule… queue intents, and their outcome comes back
 * through replication. A draft overtaken by a newer live version shows as a conflict to resolve.
 */
export function ReplicaValueTab({ replica, environment, feature, segments }: Props) {
  const { api, store } = useAppServices();
  const [isResolving, setResolving] = useState(false);
  const connection = useStore(replica.status, (s) => s.connection);
  const environmentId = environment.id;
  const data = useReplicaQuery<FeatureReplicaData>(`value:${environmentId}:${feature.id}`, (db) =>
    combineLatest({
      versions: db.versions.find({ selector: { environmentId, featureId: feature.id } }).$.pipe(map((docs) => docs.map((d) => d.toMutableJSON()))),
      draft: localDraft$(db, environmentId, feature.id),
      intents: withoutDismissed(db, intentsForFeature$(db, environmentId, feature.id)),
      organisationId: db.environments.findOne({ selector: { pk: environmentId } }).$.pipe(map((d) => d?.organisationId ?? null)),
      requiredApprovals: db.environments.findOne({ selector: { pk: environmentId } }).$.pipe(map((d) => d?.minimumChangeRequestApprovals ?? null)),
    }),
  );

  const live = data ? liveVersionOf(data.versions, Date.now()) : null;
  const fallback = useMemo(() => defaultContentOf({ defaultEnabled: feature.default_enabled, initialValue: feature.initial_value }), [feature.default_enabled, feature.initial_value]);
  const liveContent = (live?.content as VersionContent | undefined) ?? fallback;
  const draft = data?.draft ?? null;
  const shownContent = (draft?.content as VersionContent | undefined) ?? liveContent;
  const ownSegments = useMemo(() => segments.filter((s) => s.feature === null || s.feature === feature.id), [segments, feature.id]);
  const editorContent = useMemo(() => editorContentOfVersion(shownContent, ownSegments), [shownContent, ownSegments]);
  const stale = draft && data ? mergeStaleDraft(draft, data.versions, live) : null;
  const intent = data ? shownIntentOf(data.intents, draft) : null;
  const isIntentConflict = intent?.status === 'conflict' && draft !== null && intent.versionUuid === draft.id;
  const isConflict = draft !== null && (isIntentConflict || stale?.merge.kind === 'conflict');
  const conflicts: VersionConflict[] =
    stale?.merge.kind === 'conflict' ? stale.merge.conflicts.map(conflictForView) : isIntentConflict ? ((intent.result?.conflicts ?? []) as VersionConflict[]) : [];

  if (!data) return null;
  // Published a moment ago: the draft's removal can reach this device before the new version (they
  // replicate separately). Until it arrives, "live" here is the previous version: no draft starts from it.
  const arriving = !draft && intent?.status === 'done' && intent.result?.versionUuid && !data.versions.some((v) => v.id === intent.result?.versionUuid) ? intent.result.versionUuid : null;

  /** Writes into the draft only what the user changed from `original`, the content the edits were made on. */
  async function save(edited: FeatureEditorContent, original: FeatureEditorContent) {
    if (arriving) throw new NoticeError('The version just published is still arriving on this device. Try again in a moment.');
    const db = replica.db;
    // The draft may have gone meanwhile (published from another device): the edit then starts a new one.
    let id = draft && (await db.drafts.findOne(draft.id).exec()) ? draft.id : undefined;
    if (!id) {
      const organisationId = data!.organisationId ?? store.getState().selection.organisationId;
      if (organisationId === undefined) throw new NoticeError('This environment has not reached this device yet. Try again once it is in sync.');
      id = (await createLocalDraft(db, { environment: { pk: environmentId, organisationId, projectId: environment.project }, featureId: feature.id, userId: replica.userId, live, fallback })).id;
    }
    await editLocalDraft(db, id, (doc) => applyEditorChangesToDraft(doc, original, edited));
    replica.reSync();
  }

  async function queue(action: (d: DraftDoc) => Promise<unknown>) {
    if (!draft) return;
    await action(draft);
    replica.reSync();
  }

  /** Writes the content the choices give into a fresh draft based on what is live now, replacing the stale one. */
  async function resolve(choices: Record<string, MergeSide>) {
    if (!draft) return;
    if (!stale) throw new NoticeError('The newer version has not reached this device yet. Try again once it is in sync.');
    const resolved = resolveMergeConflicts(stale.merge, choices);
    const organisationId = draft.organisationId;
    await createLocalDraft(replica.db, { environment: { pk: environmentId, organisationId, projectId: environment.project }, featureId: feature.id, userId: replica.userId, live: stale.live, content: resolved });
    await discardLocalDraft(replica.db, draft.id);
    // The queued publish that came back as a conflict is settled by this resolution.
    for (const settled of data!.intents.filter((i) => i.status === 'conflict' && i.versionUuid === draft.id)) await dismissIntent(replica.db, settled.id);
    setResolving(false);
    replica.reSync();
  }

  /**
   * The change request is made on the server from its copy of the draft, so every local edit is pushed
   * first (rejects while offline). The server then discards the draft; replication brings that and the
   * new change request back.
   */
  async function requestChange(request: ChangeRequestFromDraft) {
    if (!draft) return;
    await replica.awaitInSync();
    const created = await requestChangeFromDraft(api, environment, feature, { uuid: draft.id }, request);
    replica.reSync();
    store.getState().openChangeRequest(created.id);
  }

  /** The separate, audited way past approvals: the draft is pushed, then published by the server directly. */
  async function bypass() {
    if (!draft) return;
    await replica.awaitInSync();
    await api.publishFeatureVersion(environmentId, feature.id, draft.id);
    replica.reSync();
  }

  const changeRequest: ChangeRequestRoute | null = requiresChangeRequests(data.requiredApprovals)
    ? { environment: { ...environment, minimum_change_request_approvals: data.requiredApprovals }, isOffline: connection === 'offline', onRequest: requestChange, onBypass: bypass }
    : null;

  const segmentName = segmentNamer(ownSegments);
  const optionName = optionNamer(feature);
  const isQueued = data.intents.some((i) => i.status === 'pending' && draft !== null && i.versionUuid === draft.id);

  return (
    <div className="value-tab">
      {intent && !isIntentConflict && (
        <p role="status" className={`notice intent-${intent.status}`}>
          {intentStatusText(intent)}
          {isIntentFinished(intent) && (
            <button type="button" className="link" onClick={() => void dismissIntent(replica.db, intent.id)}>
              Dismiss
            </button>
          )}
        </p>
      )}
      {isConflict && (
        <div role="status" className="notice conflict-banner">
          This draft conflicts with a newer version{' '}
          <button type="button" aria-expanded={isResolving} onClick={() => setResolving((x) => !x)}>
            Resolve…
          </button>
        </div>
      )}
      {isConflict && isResolving && (
        <ConflictView
          conflicts={conflicts.map((conflict) => ({ feature: feature.id, featureName: feature.name, conflict }))}
          segmentName={segmentName}
          optionName={optionName}
          onResolve={(resolutions) => resolve(Object.fromEntries(resolutions.map((r) => [r.path, r.choice])))}
        />
      )}
      {draft && (
        <LocalDraftPanel
          feature={feature}
          environmentName={environment.name}
          draft={draft}
          live={live}
          liveContent={liveContent}
          segments={ownSegments}
          isQueued={isQueued}
          isStaleClean={stale?.merge.kind === 'clean'}
          onPublish={() => queue((d) => queuePublish(replica.db, d))}
          onSchedule={(at) => queue((d) => queueSchedule(replica.db, d, at))}
          onDiscard={async () => {
            await discardLocalDraft(replica.db, draft.id);
            replica.reSync();
          }}
          changeRequest={changeRequest}
          impact={{
            // The server previews its copy of the draft: every local edit is pushed first.
            start: async () => {
              await replica.awaitInSync();
              return api.previewVersionImpact(environmentId, feature.id, draft.id);
            },
            unavailable: connection === 'offline' ? 'The impact is computed by the server over its stored identities; it cannot be computed while the server is unreachable.' : null,
          }}
        />
      )}
      {/*
        Not keyed on the draft or its updates: when another admin saves into the draft, a publish arrives or
        a new draft replaces the old one, the editor keeps the unsaved edits on top of the new content (and
        shows it in every field the user has not touched) instead of starting over and losing them.
      */}
      <ValueEditor
        key={`${environmentId}:${feature.id}`}
        content={editorContent}
        segments={ownSegments}
        mode="v2"
        environmentName={environment.name}
        options={feature.multivariate_options.map((o) => ({ id: o.id, label: valueToText(o) }))}
        onSave={save}
      />
    </div>
  );
}
