import { afterEach, describe, expect, test } from 'vitest';
import { act, cleanup, fireEvent, screen, waitFor, within } from '@testing-library/react';
import { FeatureList } from '../../../../src-renderer/features/feature-list/feature-list.js';
import { createLocalDraft, decodeDraftState, findLocalDraft } from '../../../../src-renderer/replica/local-drafts.js';
import { pendingDraftIds } from '../../../../src-renderer/replica/pending-drafts.js';
import { readDraftDoc } from '../../../../src-shared/domain/versioning/draft-doc.js';
import type { IntentDoc } from '../../../../src-shared/contracts/sync/documents.js';
import { renderWithServices, signedInServices } from '../fixtures.js';
import { content, standardSeed, versionDoc, withReplica, type TestReplica } from '../replica-fixtures.js';

/*
 * The feature list's switch on a v2 environment with a ready replica (issue 6, offline): it edits the
 * feature's local draft and queues a publish intent instead of calling the API. The replication is not
 * running here: the tests play the server's part by writing its answers into the replica.
 */

let replica: TestReplica | null = null;
afterEach(async () => {
  cleanup();
  await replica?.close();
  replica = null;
});

const PROD = 101;
const dark = { environmentId: PROD, featureId: 1001 };

async function renderOffline(status: Parameters<typeof withReplica>[2] = { connection: 'offline' }) {
  const setup = signedInServices();
  replica = await withReplica(setup.services, { ...standardSeed(), versions: [versionDoc('d1', dark, content(false, 'dim'))] }, status);
  let reSyncs = 0;
  replica.reSync = () => void reSyncs++;
  renderWithServices(<FeatureList environment={setup.data.environments[1]!} />, setup.services);
  const table = await screen.findByRole('table', { name: 'Features in Production' });
  const toggle = () => within(table).getByRole('switch', { name: 'dark_mode in Production' });
  const row = () => toggle().closest('tr')!;
  await waitFor(() => expect(toggle().getAttribute('aria-checked')).toBe('false'));
  return { ...setup, db: replica.db, toggle, row, reSyncs: () => reSyncs };
}

async function intentsOf(db: TestReplica['db']): Promise<IntentDoc[]> {
  return (await db.intents.find().exec()).map((d) => d.toMutableJSON());
}

/** What the server's answer does to the replica: the intent's status and result (and, when done, the draft turns into a version). */
async function answerIntent(db: TestReplica['db'], id: string, status: IntentDoc['status'], message: string, versionUuid: string | null) {
  const found = await db.intents.findOne(id).exec();
  await found!.incrementalPatch({ status, seq: 2, result: { code: status === 'done' ? 'OK' : 'PERMISSION_DENIED', message, versionUuid, conflicts: null, executedAt: '2026-11-03T00:00:00.000Z' } });
}

describe('feature list toggle on a v2 environment with a ready replica', () => {
  test('offline, queues a publish of a local draft with the state flipped, shows it pending, then the published state', async () => {
    const { db, api, toggle, row, reSyncs } = await renderOffline();
    const callsBefore = api.calls.length;

    fireEvent.click(toggle());
    await waitFor(() => expect(within(row()).getByText('pending')).toBeTruthy());
    // The switch keeps showing what is live until the new version arrives, and waits meanwhile.
    expect(toggle().getAttribute('aria-checked')).toBe('false');
    expect(toggle()).toHaveProperty('disabled', true);
    expect(within(row()).getByText('pending').getAttribute('title')).toBe('Turns on when the server is reachable.');

    const draft = (await findLocalDraft(db, PROD, 1001))!;
    expect([draft.baseVersionUuid, draft.content.environmentDefault.enabled, draft.content.environmentDefault.value.string_value]).toEqual(['d1', true, 'dim']);
    // The Yjs state the push sends holds the edit too, not just the materialised content.
    expect(readDraftDoc(decodeDraftState(draft.state)).environmentDefault.enabled).toBe(true);
    expect(await pendingDraftIds(db)).toEqual([draft.id]);
    const [intent, ...others] = await intentsOf(db);
    expect(others).toEqual([]);
    expect([intent!.kind, intent!.status, intent!.featureId, intent!.environmentId, intent!.versionUuid]).toEqual(['publish', 'pending', 1001, PROD, draft.id]);
    expect(api.calls.slice(callsBefore)).toEqual([]);
    expect(reSyncs()).toBe(1);

    // Back online the server runs it: the intent is done, the draft becomes a published version.
    await act(() => answerIntent(db, intent!.id, 'done', 'Published.', draft.id));
    await waitFor(() => expect(within(row()).queryByText('pending')).toBeNull());
    expect(within(row()).queryByRole('status')).toBeNull();
    await act(async () => {
      await (await db.drafts.findOne(draft.id).exec())!.remove();
      await db.versions.insert(versionDoc(draft.id, dark, content(true, 'dim'), { liveFrom: '2026-11-03T00:00:00.000Z', liveSeq: 2 }));
    });
    await waitFor(() => expect(toggle().getAttribute('aria-checked')).toBe('true'));
    expect(toggle()).toHaveProperty('disabled', false);
    expect(api.calls.slice(callsBefore)).toEqual([]);
  });

  test('a refused publish shows the server’s message in the row until dismissed', async () => {
    const { db, toggle, row } = await renderOffline();
    fireEvent.click(toggle());
    await waitFor(() => expect(within(row()).getByText('pending')).toBeTruthy());
    const [intent] = await intentsOf(db);

    await act(() => answerIntent(db, intent!.id, 'refused', 'You may not publish in Production.', null));
    const status = await within(row()).findByRole('status');
    expect(status.textContent).toContain('You may not publish in Production.');
    expect(toggle().getAttribute('aria-checked')).toBe('false');
    expect(toggle()).toHaveProperty('disabled', false);

    fireEvent.click(within(status).getByRole('button', { name: 'Dismiss' }));
    await waitFor(() => expect(within(row()).queryByRole('status')).toBeNull());
  });

  test('a draft with other unpublished edits is not published by the switch: the feature page opens instead', async () => {
    const { db, store, toggle } = await renderOffline();
    const live = (await db.versions.findOne('d1').exec())!.toMutableJSON();
    const edited = await createLocalDraft(db, { environment: { pk: PROD, organisationId: 1, projectId: 10 }, featureId: 1001, userId: 2, live, content: content(false, 'bright') });

    fireEvent.click(toggle());
    await waitFor(() => expect(store.getState().view).toEqual({ screen: 'feature', featureId: 1001, tab: 'value' }));
    expect(await intentsOf(db)).toEqual([]);
    expect((await findLocalDraft(db, PROD, 1001))!.content).toEqual(edited.content);
  });

  test('a draft without changes from live is reused for the toggle', async () => {
    const { db, toggle, row } = await renderOffline();
    const live = (await db.versions.findOne('d1').exec())!.toMutableJSON();
    const unchanged = await createLocalDraft(db, { environment: { pk: PROD, organisationId: 1, projectId: 10 }, featureId: 1001, userId: 1, live });

    fireEvent.click(toggle());
    await waitFor(() => expect(within(row()).getByText('pending')).toBeTruthy());
    expect((await db.drafts.find().exec()).map((d) => [d.id, d.content.environmentDefault.enabled])).toEqual([[unchanged.id, true]]);
    expect((await intentsOf(db)).map((i) => i.versionUuid)).toEqual([unchanged.id]);
  });

  test('while the first replication runs, the switch publishes through the API as before', async () => {
    const { db, api, toggle } = await renderOffline({ connection: 'online', initial: { done: 3, total: 9, finished: false } });
    fireEvent.click(toggle());
    await waitFor(() => expect(toggle().getAttribute('aria-checked')).toBe('true'));
    expect(api.calls.some((c) => c.startsWith('createFeatureVersion'))).toBe(true);
    expect(await intentsOf(db)).toEqual([]);
  });
});
