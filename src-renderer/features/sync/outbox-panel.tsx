import { useEffect, useId, useRef, type MouseEvent } from 'react';
import { combineLatest, map } from 'rxjs';
import type { DraftDoc, EnvironmentDoc, FeatureDoc, IntentDoc, VersionDoc } from '../../../src-shared/contracts/sync/documents.js';
import { useAppServices } from '../../app/app-services.js';
import { routeToHash } from '../../app/hash-route.js';
import type { View } from '../../app/dashboard.store.js';
import { allIntents$, dismissIntent, dismissedIntentIds$, intentKindLabel, intentStatusText, isIntentFinished, withoutDismissed } from '../../replica/intents.js';
import { pendingDraftIds$ } from '../../replica/pending-drafts.js';
import type { ReplicaDatabase } from '../../replica/replica-db.js';
import { useReplica, useReplicaQuery } from '../../replica/use-replica.js';
import { formatDateTime } from '../../ui/format.js';

interface OutboxData {
  pendingDraftIds: string[];
  drafts: DraftDoc[];
  intents: IntentDoc[];
  conflictVersions: VersionDoc[];
  features: Map<number, FeatureDoc>;
  environments: Map<number, EnvironmentDoc>;
}

function outbox$(db: ReplicaDatabase) {
  const json = <T,>(docs: { toMutableJSON(): T }[]) => docs.map((d) => d.toMutableJSON());
  return combineLatest({
    pendingDraftIds: pendingDraftIds$(db).pipe(map((doc) => (doc?.get('ids') as string[] | undefined) ?? [])),
    drafts: db.drafts.find().$.pipe(map(json)),
    intents: withoutDismissed(db, allIntents$(db)),
    // Dismissed ones (the same local list as intents) leave the list and the header count together.
    conflictVersions: combineLatest([db.versions.find({ selector: { status: 'conflict' } }).$.pipe(map(json)), dismissedIntentIds$(db)]).pipe(
      map(([versions, dismissed]) => (versions as VersionDoc[]).filter((v) => !dismissed.includes(v.id))),
    ),
    features: db.features.find().$.pipe(map((docs) => new Map(json(docs).map((f) => [f.pk, f])))),
    environments: db.environments.find().$.pipe(map((docs) => new Map(json(docs).map((e) => [e.pk, e])))),
  });
}

/** Where an item leads: a feature or a change request in its environment. */
interface Target {
  environmentId: number;
  featureId?: number | null;
  changeRequestId?: number | null;
}

/**
 * The outbox (issue 6), opened from the header's sync indicator: drafts edited here and not yet taken by
 * the server, queued intents with what the server answered, and conflicts that need the user; each links
 * to its feature or change request. Finished intents can be dismissed (on this device only).
 */
export function OutboxPanel({ onClose }: { onClose: () => void }) {
  const { store } = useAppServices();
  const replica = useReplica();
  const id = useId();
  const closeRef = useRef<HTMLButtonElement>(null);
  const data = useReplicaQuery<OutboxData>('outbox', (db) => outbox$(db));

  useEffect(() => {
    function onKey(event: KeyboardEvent) {
      if (event.key === 'Escape') onClose();
    }
    window.addEventListener('keydown', onKey);
    closeRef.current?.focus();
    return () => window.removeEventListener('keydown', onKey);
  }, [onClose]);

  function placeOf(target: Target): { hash: string; open: () => void } | null {
    const environment = data?.environments.get(target.environmentId);
    if (!environment) return null;
    const selection = { organisationId: environment.organisationId, projectId: environment.projectId, environmentKey: environment.apiKey };
    const view: View | null =
      target.changeRequestId != null
        ? { screen: 'change-request', changeRequestId: target.changeRequestId }
        : target.featureId != null
          ? { screen: 'feature', featureId: target.featureId, tab: 'value' }
          : null;
    if (!view) return null;
    return {
      hash: routeToHash({ selection, view }),
      open: () => {
        const state = store.getState();
        state.selectOrganisation(environment.organisationId);
        state.selectProject(environment.projectId);
        state.selectEnvironment(environment.apiKey);
        if (view.screen === 'change-request') state.openChangeRequest(view.changeRequestId);
        else if (view.screen === 'feature') state.openFeature(view.featureId, view.tab);
      },
    };
  }

  function nameOf(target: Target): string {
    const environment = data?.environments.get(target.environmentId)?.name ?? `Environment ${target.environmentId}`;
    if (target.changeRequestId != null) return `Change request #${target.changeRequestId} in ${environment}`;
    const feature = target.featureId != null ? (data?.features.get(target.featureId)?.name ?? `Feature ${target.featureId}`) : 'A feature';
    return `${feature} in ${environment}`;
  }

  function link(target: Target) {
    const name = nameOf(target);
    const place = placeOf(target);
    if (!place) return <span>{name}</span>;
    return (
      <a
        href={place.hash}
        onClick={(event: MouseEvent) => {
          event.preventDefault();
          place.open();
          onClose();
        }}
      >
        {name}
      </a>
    );
  }

  const pendingDrafts = data ? data.pendingDraftIds.map((draftId) => data.drafts.find((d) => d.id === draftId)).filter((d): d is DraftDoc => d !== undefined) : [];
  const refusedDrafts = data?.drafts.filter((d) => d.error) ?? [];
  const conflictIntents = data?.intents.filter((i) => i.status === 'conflict') ?? [];
  const hasConflicts = refusedDrafts.length + conflictIntents.length + (data?.conflictVersions.length ?? 0) > 0;

  return (
    <div role="dialog" aria-label="Sync" aria-describedby={`${id}-intro`} className="dialog outbox">
      <p id={`${id}-intro`} className="muted">
        Changes made on this device wait here until the server takes them.
      </p>
      {!replica && <p>Sync starts once you are signed in.</p>}
      {replica && !data && <p role="status">Loading…</p>}
      {data && (
        <>
          <section aria-labelledby={`${id}-drafts`}>
            <h3 id={`${id}-drafts`}>Drafts waiting to be sent</h3>
            {pendingDrafts.length === 0 ? (
              <p className="muted">None.</p>
            ) : (
              <ul aria-labelledby={`${id}-drafts`}>
                {pendingDrafts.map((d) => (
                  <li key={d.id}>
                    {link({ environmentId: d.environmentId, featureId: d.featureId })}{' '}
                    <span className="muted">edited {formatDateTime(d.updatedAt)}</span>
                  </li>
                ))}
              </ul>
            )}
          </section>
          <section aria-labelledby={`${id}-intents`}>
            <h3 id={`${id}-intents`}>Queued changes</h3>
            {data.intents.length === 0 ? (
              <p className="muted">None.</p>
            ) : (
              <ul aria-labelledby={`${id}-intents`}>
                {data.intents.map((intent) => (
                  <li key={intent.id} className={`intent intent-${intent.status}`}>
                    <strong>{intentKindLabel(intent)}</strong> {link(intent)} <span className="muted">queued {formatDateTime(intent.createdAt)}</span>
                    <div>{intentStatusText(intent)}</div>
                    {isIntentFinished(intent) && replica && (
                      <button type="button" className="quiet" aria-label={`Dismiss ${intentKindLabel(intent).toLowerCase()} of ${nameOf(intent)}`} onClick={() => void dismissIntent(replica.db, intent.id)}>
                        Dismiss
                      </button>
                    )}
                  </li>
                ))}
              </ul>
            )}
          </section>
          <section aria-labelledby={`${id}-conflicts`}>
            <h3 id={`${id}-conflicts`}>Conflicts</h3>
            {!hasConflicts ? (
              <p className="muted">None.</p>
            ) : (
              <ul aria-labelledby={`${id}-conflicts`}>
                {refusedDrafts.map((d) => (
                  <li key={`draft-${d.id}`}>
                    {link({ environmentId: d.environmentId, featureId: d.featureId })}: the server refused the draft ({d.error!.message})
                  </li>
                ))}
                {conflictIntents.map((i) => (
                  <li key={`intent-${i.id}`}>
                    {link(i)}: the queued {i.kind} conflicts with a newer version
                  </li>
                ))}
                {data.conflictVersions.map((v) => (
                  <li key={`version-${v.id}`}>
                    {link({ environmentId: v.environmentId, featureId: v.featureId })}: a scheduled version conflicts with a newer one and did not go live{' '}
                    {replica && (
                    <button type="button" className="quiet" aria-label={`Dismiss the scheduled-version conflict of ${nameOf({ environmentId: v.environmentId, featureId: v.featureId })}`} onClick={() => void dismissIntent(replica.db, v.id)}>
                      Dismiss
                    </button>
                    )}
                  </li>
                ))}
              </ul>
            )}
          </section>
        </>
      )}
      <div className="actions">
        <button ref={closeRef} type="button" onClick={onClose}>
          Close
        </button>
      </div>
    </div>
  );
}
