import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import { cleanup, fireEvent, screen, waitFor, within } from '@testing-library/react';
import { getRxStorageMemory } from 'rxdb/plugins/storage-memory';
import { FeaturePage } from '../../../../src-renderer/features/feature-page/feature-page.js';
import { OutboxPanel } from '../../../../src-renderer/features/sync/outbox-panel.js';
import { createReplicaDatabase, type ReplicaDatabase } from '../../../../src-renderer/replica/replica-db.js';
import { createSyncStatusStore, type SyncStatus } from '../../../../src-renderer/replica/sync-status.js';
import { ApiError, type ChangeRequestCreate } from '../../../../src-renderer/data/api-client.js';
import type { Replica } from '../../../../src-renderer/replica/replica.js';
import { createLocalDraft, editLocalDraft, findLocalDraft, decodeDraftState } from '../../../../src-renderer/replica/local-drafts.js';
import { pendingDraftIds } from '../../../../src-renderer/replica/pending-drafts.js';
import { queuePublish } from '../../../../src-renderer/replica/intents.js';
import { readDraftDoc, setEnabled, setValue, upsertSegmentOverride } from '../../../../src-shared/domain/versioning/draft-doc.js';
import type { EnvironmentDoc, FeatureDoc, IntentDoc, SegmentDoc, VersionDoc } from '../../../../src-shared/contracts/sync/documents.js';
import type { VersionContent } from '../../../../src-shared/domain/versioning/version-content.js';
import { environment, renderWithServices, signedInServices } from '../fixtures.js';

/*
 * The feature page on a v2 environment with a replica whose first replication finished: it reads and
 * writes the local replica (a real RxDB database in memory) and makes no request. The replication itself
 * is not running here: the tests play the server's part by writing the answers into the replica.
 */

const at = '2026-11-01T00:00:00.000Z';
const text = (s: string) => ({ type: 'unicode' as const, string_value: s, integer_value: null, boolean_value: null });
const content = (value: string): VersionContent => ({ environmentDefault: { enabled: true, value: text(value), multivariateWeights: {} }, segmentOverrides: {} });
const production = environment(101, 10, 'Production', true);

const environmentDoc: EnvironmentDoc = {
  id: 'e-101', seq: 1, pk: 101, organisationId: 1, projectId: 10, name: 'Production', description: null, apiKey: 'key-production', useV2FeatureVersioning: true, versioningStatus: 'v2',
  versioningProgress: null, minimumChangeRequestApprovals: null, allowClientTraits: true, hideDisabledFlags: null, createdAt: at, updatedAt: at,
};
const featureDoc: FeatureDoc = {
  id: 'f-1000', seq: 1, pk: 1000, organisationId: 1, projectId: 10, name: 'checkout_banner', type: 'STANDARD', initialValue: null, defaultEnabled: false, description: null,
  isArchived: false, isServerKeyOnly: false, createdAt: at, multivariateOptions: [],
};
const segmentDoc = (pk: number, name: string): SegmentDoc => ({ id: `s-${pk}`, seq: 1, pk, organisationId: 1, projectId: 10, featureId: null, name, description: null, rules: [], createdAt: at, updatedAt: at });
function version(id: string, c: VersionContent, liveFrom: string, baseVersionUuid: string | null = null): VersionDoc {
  return {
    id, seq: 1, organisationId: 1, projectId: 10, environmentId: 101, featureId: 1000, status: 'published', description: null, content: c, contentHash: id, baseVersionUuid,
    previousVersionUuid: null, conflicts: null, liveFrom, liveSeq: 1, publishedAt: liveFrom, publishedByUserId: 1, createdByUserId: 1, createdAt: liveFrom, updatedAt: liveFrom,
  };
}

let db: ReplicaDatabase;
let syncRequests = 0;

beforeEach(async () => {
  db = await createReplicaDatabase({ name: `page${Math.random().toString(36).slice(2)}`, storage: getRxStorageMemory() });
  await db.environments.insert(environmentDoc);
  await db.features.insert(featureDoc);
  await db.segments.bulkInsert([segmentDoc(7, 'beta_users'), segmentDoc(8, 'enterprise')]);
  await db.versions.insert(version('v-live', content('Hello'), at));
  syncRequests = 0;
});
afterEach(async () => {
  cleanup();
  await db.close();
});

/** Services with the replica of `db` in their slot: offline unless told otherwise. */
function withReplica(options: { connection?: SyncStatus['connection']; awaitInSync?: () => Promise<void> } = {}) {
  const setup = signedInServices();
  const status = createSyncStatusStore();
  status.setState({ connection: options.connection ?? 'offline', initial: { done: 9, total: 9, finished: true } });
  const replica: Replica = {
    db, status, userId: 1,
    awaitInitialReplication: () => Promise.resolve(),
    awaitInSync: options.awaitInSync ?? (() => Promise.reject(new ApiError('NETWORK', 'The server is not reachable.', 0))),
    reSync: () => void syncRequests++,
    close: () => Promise.resolve(),
  };
  setup.services.replicaSlot.setState({ replica });
  setup.store.setState({ selection: { organisationId: 1, projectId: 10, environmentKey: 'key-production' } });
  return setup;
}

function openFeature(options: Parameters<typeof withReplica>[0] = {}) {
  const setup = withReplica(options);
  renderWithServices(<FeaturePage environment={production} featureId={1000} tab="value" />, setup.services);
  return setup;
}

const editor = () => screen.getByRole('form', { name: 'Value and segment overrides' });
const defaultValue = () => within(within(editor()).getByRole('group', { name: 'Environment default' })).getByLabelText('Value') as HTMLInputElement;
const draftRegion = () => screen.findByRole('region', { name: /^Draft/ });
const changeSentences = (region: HTMLElement) => within(within(region).getByRole('list', { name: 'Changes' })).getAllByRole('listitem').map((li) => li.textContent);

async function setIntent(id: string, patch: Partial<IntentDoc>) {
  const doc = await db.intents.findOne(id).exec();
  await doc!.incrementalPatch(patch);
}

describe('feature page on the replica', () => {
  test('an edit offline goes into a new local draft (Yjs state, content, pending mark) and its diff shows, with no request', async () => {
    const { api } = openFeature();
    await waitFor(() => expect(defaultValue().value).toBe('Hello'));
    fireEvent.change(defaultValue(), { target: { value: 'Hello offline' } });
    fireEvent.change(within(editor()).getByLabelText('Segment'), { target: { value: '7' } });
    fireEvent.click(within(editor()).getByRole('button', { name: 'Add override' }));
    fireEvent.click(within(editor()).getByRole('button', { name: 'Save draft' }));

    const region = await draftRegion();
    await waitFor(() =>
      expect(changeSentences(region)).toEqual([
        'Changed the value of the environment default from "Hello" to "Hello offline"',
        "Added an override for segment 'beta_users' at priority 0 (enabled, value \"Hello offline\")",
      ]),
    );
    const draft = (await findLocalDraft(db, 101, 1000))!;
    expect(draft.baseVersionUuid).toBe('v-live');
    expect(readDraftDoc(decodeDraftState(draft.state))).toEqual(draft.content);
    expect((draft.content as VersionContent).environmentDefault.value).toEqual(text('Hello offline'));
    expect(Object.keys((draft.content as VersionContent).segmentOverrides)).toEqual(['7']);
    expect(await pendingDraftIds(db)).toEqual([draft.id]);
    expect(syncRequests).toBeGreaterThan(0);
    expect(api.calls).toEqual([]);

    // A second save edits the same draft: only the changed field is written.
    await waitFor(() => expect(defaultValue().value).toBe('Hello offline'));
    fireEvent.change(defaultValue(), { target: { value: 'again' } });
    fireEvent.click(within(editor()).getByRole('button', { name: 'Save draft' }));
    await waitFor(async () => expect(((await findLocalDraft(db, 101, 1000))!.content as VersionContent).environmentDefault.value).toEqual(text('again')));
    expect(await db.drafts.count().exec()).toBe(1);
  });

  test('Publish queues a pending intent; the server answer shows as "Published."', async () => {
    const draft = await createLocalDraft(db, { environment: environmentDoc, featureId: 1000, userId: 1, live: await db.versions.findOne('v-live').exec().then((d) => d!.toMutableJSON()) });
    await editLocalDraft(db, draft.id, (doc) => setValue(doc, null, text('next')));
    openFeature();
    // Without required approvals there is no change request to make: Publish is the action.
    expect(within(await draftRegion()).queryByRole('button', { name: 'Request change' })).toBeNull();
    fireEvent.click(within(await draftRegion()).getByRole('button', { name: 'Publish' }));
    expect(await screen.findByText('Queued: publishes when the server is reachable.')).toBeTruthy();
    const intents = (await db.intents.find().exec()).map((d) => d.toMutableJSON());
    expect(intents).toMatchObject([{ kind: 'publish', status: 'pending', versionUuid: draft.id, environmentId: 101, featureId: 1000 }]);
    expect(within(await draftRegion()).getByRole('button', { name: 'Publish' })).toHaveProperty('disabled', true);

    await setIntent(intents[0]!.id, { status: 'done', seq: 9, result: { code: 'OK', message: 'Published.', versionUuid: draft.id, conflicts: null, executedAt: at } });
    const status = await screen.findByText('Published.');
    expect(status.closest('[role="status"]')).toBeTruthy();
  });

  test('just after a publish, before its version arrived, an edit waits instead of starting a draft from the previous version', async () => {
    const draft = await createLocalDraft(db, { environment: environmentDoc, featureId: 1000, userId: 1, live: (await db.versions.findOne('v-live').exec())!.toMutableJSON() });
    await editLocalDraft(db, draft.id, (doc) => setValue(doc, null, text('published')));
    const intent = await queuePublish(db, (await findLocalDraft(db, 101, 1000))!);
    openFeature();
    // The server's answer and the draft's removal arrive; the new version has not yet.
    await setIntent(intent.id, { status: 'done', seq: 9, result: { code: 'OK', message: 'Published.', versionUuid: draft.id, conflicts: null, executedAt: at } });
    await (await db.drafts.findOne(draft.id).exec())!.remove();
    await waitFor(() => expect(defaultValue().value).toBe('Hello'));
    fireEvent.change(defaultValue(), { target: { value: 'too early' } });
    fireEvent.click(within(editor()).getByRole('button', { name: 'Save draft' }));
    expect(await screen.findByText(/still arriving on this device/)).toBeTruthy();
    expect(await db.drafts.count().exec()).toBe(0);

    // Once it is here, the refused edit (still in the editor, unsaved) saves into a draft based on it.
    await db.versions.insert(version(draft.id, { ...content('published'), environmentDefault: { ...content('published').environmentDefault, enabled: false } }, '2026-11-02T00:00:00.000Z', 'v-live'));
    await waitFor(() => expect(within(editor()).getByRole('switch', { name: 'Enabled in Production' }).getAttribute('aria-checked')).toBe('false'));
    expect(defaultValue().value).toBe('too early');
    expect(within(editor()).getByText(/This feature changed elsewhere/)).toBeTruthy();
    fireEvent.click(within(editor()).getByRole('button', { name: 'Save draft' }));
    await waitFor(async () => expect((await findLocalDraft(db, 101, 1000))?.baseVersionUuid).toBe(draft.id));
    const next = (await findLocalDraft(db, 101, 1000))!.content as VersionContent;
    expect(next.environmentDefault).toMatchObject({ enabled: false, value: text('too early') });
  });

  test('Schedule… queues a schedule with the chosen time', async () => {
    await createLocalDraft(db, { environment: environmentDoc, featureId: 1000, userId: 1, live: null, content: content('later') });
    openFeature();
    fireEvent.click(within(await draftRegion()).getByRole('button', { name: 'Schedule…' }));
    const form = screen.getByRole('form', { name: 'Schedule' });
    fireEvent.change(within(form).getByLabelText('Go live at (UTC)'), { target: { value: '2027-12-01T09:00' } });
    fireEvent.click(within(form).getByRole('button', { name: 'Queue schedule' }));
    await waitFor(async () => expect(await db.intents.count().exec()).toBe(1));
    const [intent] = (await db.intents.find().exec()).map((d) => d.toMutableJSON());
    expect(intent).toMatchObject({ kind: 'schedule', status: 'pending', liveFrom: '2027-12-01T09:00:00.000Z' });
  });

  test('a publish answered with a conflict shows the banner; resolving writes a fresh draft on the live version', async () => {
    const base = (await db.versions.findOne('v-live').exec())!.toMutableJSON();
    const draft = await createLocalDraft(db, { environment: environmentDoc, featureId: 1000, userId: 1, live: base });
    await editLocalDraft(db, draft.id, (doc) => setValue(doc, null, text('mine')));
    const intent = await queuePublish(db, (await findLocalDraft(db, 101, 1000))!);
    openFeature();
    await screen.findByText('Queued: publishes when the server is reachable.');

    // Meanwhile another admin published "theirs"; the server ran the intent and answered a conflict.
    await db.versions.insert(version('v-theirs', content('theirs'), '2026-11-02T00:00:00.000Z', 'v-live'));
    await setIntent(intent.id, { status: 'conflict', seq: 9, result: { code: 'PRECONDITION_FAILED', message: 'Conflict.', versionUuid: draft.id, conflicts: [], executedAt: at } });
    const banner = (await screen.findByText(/This draft conflicts with a newer version/)).closest('[role="status"]') as HTMLElement;
    fireEvent.click(within(banner).getByRole('button', { name: 'Resolve…' }));
    const table = await screen.findByRole('table', { name: 'Conflicting fields' });
    const row = within(table).getByRole('row', { name: /Environment default · value/ });
    expect([...row.querySelectorAll('td')].slice(0, 3).map((td) => td.textContent)).toEqual(['"Hello"', '"theirs"', '"mine"']);
    fireEvent.click(within(row).getByLabelText('Keep mine'));
    fireEvent.click(screen.getByRole('button', { name: 'Rebase with these choices' }));

    await waitFor(async () => expect((await findLocalDraft(db, 101, 1000))?.baseVersionUuid).toBe('v-theirs'));
    const fresh = (await findLocalDraft(db, 101, 1000))!;
    expect(fresh.id).not.toBe(draft.id);
    expect((fresh.content as VersionContent).environmentDefault.value).toEqual(text('mine'));
    expect(await db.drafts.findOne(draft.id).exec()).toBeNull();
    await waitFor(async () => expect(changeSentences(await draftRegion())).toEqual(['Changed the value of the environment default from "theirs" to "mine"']));
    expect(screen.queryByText(/This draft conflicts with a newer version/)).toBeNull();
    expect(within(await draftRegion()).getByRole('button', { name: 'Publish' })).toHaveProperty('disabled', false);
  });

  test('a stale draft whose changes overlap the new live version shows the banner before any publish', async () => {
    const base = (await db.versions.findOne('v-live').exec())!.toMutableJSON();
    const draft = await createLocalDraft(db, { environment: environmentDoc, featureId: 1000, userId: 1, live: base });
    await editLocalDraft(db, draft.id, (doc) => setValue(doc, null, text('mine')));
    openFeature();
    await draftRegion();
    expect(screen.queryByText(/This draft conflicts/)).toBeNull();
    await db.versions.insert(version('v-theirs', content('theirs'), '2026-11-02T00:00:00.000Z', 'v-live'));
    expect(await screen.findByText(/This draft conflicts with a newer version/)).toBeTruthy();
  });
});

describe('unsaved edits while the feature changes elsewhere', () => {
  const notice = () => within(editor()).queryByText('This feature changed elsewhere. Your unsaved edits are kept and will be merged on save.');
  const status = () => within(editor()).getByRole('status').textContent;

  async function draftOfLive() {
    return createLocalDraft(db, { environment: environmentDoc, featureId: 1000, userId: 1, live: (await db.versions.findOne('v-live').exec())!.toMutableJSON() });
  }

  test("another admin's save into the same draft keeps the typed value; saving writes both edits", async () => {
    const draft = await draftOfLive();
    openFeature();
    await draftRegion();
    await waitFor(() => expect(defaultValue().value).toBe('Hello'));
    fireEvent.change(defaultValue(), { target: { value: 'mine' } });

    // The other admin's edit reaches this replica: an override, and the default switched off.
    await editLocalDraft(db, draft.id, (doc) => {
      upsertSegmentOverride(doc, '8', { enabled: true, value: text('theirs'), multivariateWeights: {} });
      setEnabled(doc, null, false);
    });
    const theirValue = await within(editor()).findByLabelText('Value for enterprise');
    expect((theirValue as HTMLInputElement).value).toBe('theirs');
    expect(within(editor()).getByRole('switch', { name: 'Enabled in Production' }).getAttribute('aria-checked')).toBe('false');
    expect(defaultValue().value).toBe('mine');
    expect(status()).toBe('Unsaved changes');
    expect(notice()).toBeTruthy();

    fireEvent.click(within(editor()).getByRole('button', { name: 'Save draft' }));
    await waitFor(async () => expect(((await findLocalDraft(db, 101, 1000))!.content as VersionContent).environmentDefault.value).toEqual(text('mine')));
    const saved = (await findLocalDraft(db, 101, 1000))!;
    expect(saved.id).toBe(draft.id);
    expect((saved.content as VersionContent).environmentDefault.enabled).toBe(false);
    expect((saved.content as VersionContent).segmentOverrides['8']).toMatchObject({ enabled: true, value: text('theirs') });
    expect(readDraftDoc(decodeDraftState(saved.state))).toEqual(saved.content);
    // Nothing is left unsaved once the saved draft is back in the editor.
    await waitFor(() => expect(status()).toMatch(/^Changes go into a draft/));
    expect(notice()).toBeNull();
    expect(defaultValue().value).toBe('mine');
  });

  test('without unsaved edits the editor simply shows the new content', async () => {
    const draft = await draftOfLive();
    openFeature();
    await waitFor(() => expect(defaultValue().value).toBe('Hello'));
    await editLocalDraft(db, draft.id, (doc) => setValue(doc, null, text('from elsewhere')));
    await waitFor(() => expect(defaultValue().value).toBe('from elsewhere'));
    expect(status()).toMatch(/^Changes go into a draft/);
    expect(notice()).toBeNull();
  });

  test('a publish arriving from elsewhere keeps the typed value, which then starts a draft on the published version', async () => {
    const draft = await draftOfLive();
    await editLocalDraft(db, draft.id, (doc) => upsertSegmentOverride(doc, '7', { enabled: true, value: text('beta'), multivariateWeights: {} }));
    openFeature();
    await waitFor(() => expect((within(editor()).getByLabelText('Value for beta_users') as HTMLInputElement).value).toBe('beta'));
    fireEvent.change(defaultValue(), { target: { value: 'mine' } });

    // The draft was published elsewhere: the server removed it and its version arrives.
    const published = (await findLocalDraft(db, 101, 1000))!.content as VersionContent;
    await (await db.drafts.findOne(draft.id).exec())!.remove();
    await db.versions.insert(version(draft.id, published, '2026-11-02T00:00:00.000Z', 'v-live'));
    await waitFor(() => expect(screen.queryByRole('region', { name: /^Draft/ })).toBeNull());
    expect(defaultValue().value).toBe('mine');
    expect((within(editor()).getByLabelText('Value for beta_users') as HTMLInputElement).value).toBe('beta');

    fireEvent.click(within(editor()).getByRole('button', { name: 'Save draft' }));
    await waitFor(async () => expect((await findLocalDraft(db, 101, 1000))?.baseVersionUuid).toBe(draft.id));
    const fresh = (await findLocalDraft(db, 101, 1000))!;
    expect(fresh.id).not.toBe(draft.id);
    expect((fresh.content as VersionContent).environmentDefault.value).toEqual(text('mine'));
    expect((fresh.content as VersionContent).segmentOverrides['7']).toMatchObject({ value: text('beta') });
  });
});

describe('Request change on an environment that requires approvals', () => {
  async function requireApprovals(count: number) {
    await (await db.environments.findOne('e-101').exec())!.incrementalPatch({ minimumChangeRequestApprovals: count });
  }

  /** A local draft changing the environment default's value to `value`. */
  async function draftOf(value: string) {
    const draft = await createLocalDraft(db, { environment: environmentDoc, featureId: 1000, userId: 1, live: (await db.versions.findOne('v-live').exec())!.toMutableJSON() });
    await editLocalDraft(db, draft.id, (doc) => setValue(doc, null, text(value)));
    return draft;
  }

  /** A promise the test settles itself, standing in for the replica's wait for the push and the last pull. */
  function pendingSync() {
    let settle: { resolve(): void; reject(error: unknown): void } = { resolve: () => undefined, reject: () => undefined };
    const promise = new Promise<void>((resolve, reject) => (settle = { resolve, reject }));
    let waits = 0;
    return { settle, waits: () => waits, awaitInSync: () => (waits++, promise) };
  }

  test('the panel offers Request change and a separate bypass, with the reason; no plain Publish or Schedule…', async () => {
    await requireApprovals(2);
    await draftOf('next');
    openFeature({ connection: 'online' });
    const region = await draftRegion();
    const request = await within(region).findByRole('button', { name: 'Request change' });
    expect(request).toHaveProperty('disabled', false);
    expect(request.className).toContain('primary');
    expect(within(region).queryByRole('button', { name: 'Publish' })).toBeNull();
    expect(within(region).queryByRole('button', { name: 'Schedule…' })).toBeNull();
    expect(within(region).getByRole('button', { name: 'Publish without approval…' })).toHaveProperty('disabled', false);
    expect(region.textContent).toContain('This environment requires approvals: the draft goes live through a change request once it is approved.');
    fireEvent.click(request);
    const form = screen.getByRole('form', { name: 'Request change' });
    expect(form.textContent).toContain('Production needs 2 approvals before a change goes live.');
  });

  test('creating it waits until the draft reached the server, makes the change request from the draft uuid and opens it', async () => {
    await requireApprovals(1);
    const draft = await draftOf('next');
    const sync = pendingSync();
    const { api, store, data } = openFeature({ connection: 'online', awaitInSync: sync.awaitInSync });
    const sent: ChangeRequestCreate[] = [];
    const create = api.createChangeRequest;
    api.createChangeRequest = (key, body) => (sent.push(body), create(key, body));

    fireEvent.click(within(await draftRegion()).getByRole('button', { name: 'Request change' }));
    const form = screen.getByRole('form', { name: 'Request change' });
    fireEvent.change(within(form).getByLabelText('Title'), { target: { value: 'Say next' } });
    fireEvent.click(await within(form).findByLabelText('dev@example.com'));
    fireEvent.click(within(form).getByRole('button', { name: 'Create change request' }));

    await waitFor(() => expect(sync.waits()).toBe(1));
    expect(api.calls.filter((c) => c === 'createChangeRequest' || c.startsWith('listVersionStates'))).toEqual([]);

    // The server's part of the push: the draft now exists there under its uuid.
    const pushed = await api.createFeatureVersion(101, 1000, { feature_states_to_update: [{ feature_segment: null, enabled: true, feature_state_value: text('next') }] });
    api.versions.find((v) => v.version.uuid === pushed.uuid)!.version.uuid = draft.id;
    sync.settle.resolve();

    await waitFor(() => expect(store.getState().view).toMatchObject({ screen: 'change-request' }));
    const created = data.changeRequests!.at(-1)!.changeRequest;
    expect(store.getState().view).toEqual({ screen: 'change-request', changeRequestId: created.id });
    expect(api.calls).toContain(`listVersionStates:${draft.id}`);
    expect(api.calls).toContain(`deleteFeatureVersion:${draft.id}`);
    expect(sent).toHaveLength(1);
    expect(sent[0]).toMatchObject({ title: 'Say next', approvals: [{ user: 2 }] });
    expect(sent[0]!.change_sets).toHaveLength(1);
    expect(sent[0]!.change_sets[0]!.feature).toBe(1000);
    expect(sent[0]!.change_sets[0]!.feature_states_to_update).toEqual([expect.objectContaining({ feature_segment: null, feature_state_value: text('next') })]);
    expect(syncRequests).toBeGreaterThan(0);
  });

  test('when the draft cannot reach the server the form shows why and no change request is made', async () => {
    await requireApprovals(1);
    await draftOf('next');
    const sync = pendingSync();
    const { api, store } = openFeature({ connection: 'online', awaitInSync: sync.awaitInSync });
    fireEvent.click(within(await draftRegion()).getByRole('button', { name: 'Request change' }));
    const form = screen.getByRole('form', { name: 'Request change' });
    fireEvent.click(within(form).getByRole('button', { name: 'Create change request' }));
    await waitFor(() => expect(sync.waits()).toBe(1));
    sync.settle.reject(new ApiError('NETWORK', 'The server is not reachable.', 0));
    expect((await within(form).findByRole('alert')).textContent).toBe('The Flagdesk server could not be reached. Check that it is running.');
    expect(api.calls).not.toContain('createChangeRequest');
    expect(store.getState().view).not.toMatchObject({ screen: 'change-request' });
    expect(await findLocalDraft(db, 101, 1000)).not.toBeNull();
  });

  test('offline the button is disabled and says it needs the server', async () => {
    await requireApprovals(1);
    await draftOf('next');
    openFeature({ connection: 'offline' });
    const region = await draftRegion();
    const request = await within(region).findByRole('button', { name: 'Request change' });
    expect(request).toHaveProperty('disabled', true);
    expect(document.getElementById(request.getAttribute('aria-describedby')!)?.textContent).toMatch(/needs the server/);
    expect(within(region).getByRole('button', { name: 'Publish without approval…' })).toHaveProperty('disabled', true);
  });

  test('approvals set to 0 also route the draft through a change request', async () => {
    await requireApprovals(0);
    await draftOf('next');
    openFeature({ connection: 'online' });
    const region = await draftRegion();
    expect(await within(region).findByRole('button', { name: 'Request change' })).toHaveProperty('disabled', false);
    expect(within(region).queryByRole('button', { name: 'Publish' })).toBeNull();
  });
});

describe('outbox panel', () => {
  test('lists pending drafts, intents with their status and conflicts; links open the feature; finished intents can be dismissed', async () => {
    const { services, store } = withReplica();
    const draft = await createLocalDraft(db, { environment: environmentDoc, featureId: 1000, userId: 1, live: null, content: content('x') });
    const done = await queuePublish(db, draft);
    await setIntent(done.id, { status: 'done', seq: 2, result: { code: 'OK', message: 'Published.', versionUuid: draft.id, conflicts: null, executedAt: at } });
    const conflicted = await queuePublish(db, draft);
    await setIntent(conflicted.id, { status: 'conflict', seq: 3, result: { code: 'PRECONDITION_FAILED', message: 'Conflict.', versionUuid: draft.id, conflicts: [], executedAt: at } });
    await queuePublish(db, draft);
    store.setState({ selection: {} });
    let closed = 0;
    renderWithServices(<OutboxPanel onClose={() => closed++} />, services);

    const panel = await screen.findByRole('dialog', { name: 'Sync' });
    const drafts = await within(panel).findByRole('list', { name: 'Drafts waiting to be sent' });
    expect(within(drafts).getByRole('link', { name: 'checkout_banner in Production' })).toBeTruthy();
    const intents = within(panel).getByRole('list', { name: 'Queued changes' });
    const texts = within(intents).getAllByRole('listitem').map((li) => li.textContent ?? '');
    expect(texts.some((t) => t.includes('Queued: publishes when the server is reachable.'))).toBe(true);
    expect(texts.some((t) => t.includes('Published.'))).toBe(true);
    const conflicts = within(panel).getByRole('list', { name: 'Conflicts' });
    expect(within(conflicts).getByRole('listitem').textContent).toContain('conflicts with a newer version');

    // Only finished intents can be dismissed.
    expect(within(intents).getAllByRole('button', { name: /^Dismiss/ })).toHaveLength(2);
    const item = within(intents).getAllByRole('listitem').find((li) => li.textContent?.includes('Published.'))!;
    fireEvent.click(within(item).getByRole('button', { name: /^Dismiss/ }));
    await waitFor(() => expect(within(intents).getAllByRole('listitem')).toHaveLength(2));

    fireEvent.click(within(drafts).getByRole('link', { name: 'checkout_banner in Production' }));
    expect(store.getState().selection).toEqual({ organisationId: 1, projectId: 10, environmentKey: 'key-production' });
    expect(store.getState().view).toEqual({ screen: 'feature', featureId: 1000, tab: 'value' });
    expect(closed).toBe(1);
  });
});
