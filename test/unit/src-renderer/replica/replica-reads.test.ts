import { describe, expect, test } from 'vitest';
import {
  changeRequestsFromDocs,
  diffContents,
  environmentFromDoc,
  featureListFromDocs,
  nextGoLiveAfter,
  statesFromContent,
  versionFromDoc,
  versionNames,
} from '../../../../src-renderer/replica/replica-reads.js';
import { liveVersionOf } from '../../../../src-shared/domain/versioning/live-version.js';
import { compareVersionsLocally, historyFromVersionDocs } from '../../../../src-renderer/data/feature-history.js';
import { changeRequestDoc, content, environmentDoc, featureDoc, versionDoc } from '../replica-fixtures.js';

const NOW = Date.parse('2026-11-10T12:00:00.000Z');
const banner = { environmentId: 101, featureId: 1000 };
const dark = { environmentId: 101, featureId: 1001 };

describe('the live version', () => {
  test('is the published version with the latest live_from that has passed; scheduled and conflicted ones never are', () => {
    const versions = [
      versionDoc('old', banner, content(true, 'a'), { liveFrom: '2026-11-01T00:00:00.000Z' }),
      versionDoc('current', banner, content(true, 'b'), { liveFrom: '2026-11-05T00:00:00.000Z' }),
      versionDoc('future', banner, content(true, 'c'), { liveFrom: '2026-12-01T00:00:00.000Z', liveSeq: 9 }),
      versionDoc('scheduled', banner, content(true, 'd'), { status: 'scheduled', liveFrom: '2026-11-06T00:00:00.000Z' }),
      versionDoc('conflict', banner, content(true, 'e'), { status: 'conflict', liveFrom: '2026-11-07T00:00:00.000Z' }),
    ];
    expect(liveVersionOf(versions, NOW)?.id).toBe('current');
    // Once its time has come, the published future version is live.
    expect(liveVersionOf(versions, Date.parse('2026-12-01T00:00:00.000Z'))?.id).toBe('future');
    expect(liveVersionOf(versions.slice(3), NOW)).toBeNull();
  });

  test('on equal live_from the later go-live (live_seq) wins, whatever the order of the documents', () => {
    const a = versionDoc('a', banner, content(true, 'a'), { liveSeq: 2 });
    const b = versionDoc('b', banner, content(true, 'b'), { liveSeq: 3 });
    expect(liveVersionOf([a, b], NOW)?.id).toBe('b');
    expect(liveVersionOf([b, a], NOW)?.id).toBe('b');
  });

  test('the next go-live is the earliest published live_from still ahead', () => {
    const versions = [
      versionDoc('past', banner, content(true, 'a')),
      versionDoc('later', banner, content(true, 'b'), { liveFrom: '2026-11-20T00:00:00.000Z' }),
      versionDoc('sooner', banner, content(true, 'c'), { liveFrom: '2026-11-11T00:00:00.000Z' }),
      versionDoc('too-far', banner, content(true, 'd'), { liveFrom: '2027-06-01T00:00:00.000Z' }),
    ];
    expect(nextGoLiveAfter(versions, NOW)).toBe(Date.parse('2026-11-11T00:00:00.000Z'));
    expect(nextGoLiveAfter(versions.slice(0, 1), NOW)).toBeNull();
  });
});

describe('the feature list of a v2 environment', () => {
  test('shows each live feature matching the search with its live version’s environment default, in creation order', () => {
    const archived = { ...featureDoc(1002, 10, 'old_banner', '2026-10-01T00:00:00.000Z'), isArchived: true };
    const features = [featureDoc(1001, 10, 'dark_mode', '2026-11-02T00:00:00.000Z'), featureDoc(1000, 10, 'checkout_banner', '2026-11-01T00:00:00.000Z'), archived];
    const versions = [
      versionDoc('b1', banner, content(true, 'Hello', { 7: { enabled: true, value: 'Beta' } }), { liveFrom: '2026-11-01T00:00:00.000Z' }),
      versionDoc('b2', banner, content(false, 'Hey'), { liveFrom: '2026-11-09T00:00:00.000Z' }),
      versionDoc('b3', banner, content(true, 'Later'), { liveFrom: '2026-12-01T00:00:00.000Z' }),
      // Another environment's version of dark_mode is not this one's.
      versionDoc('d-other', { environmentId: 100, featureId: 1001 }, content(true, 'x')),
    ];
    const list = featureListFromDocs(features, versions.filter((v) => v.environmentId === 101), 101, '', NOW);
    expect(list.map((f) => [f.name, f.environment_feature_state?.enabled, f.environment_feature_state?.feature_state_value, f.num_segment_overrides])).toEqual([
      ['checkout_banner', false, 'Hey', 0],
      ['dark_mode', undefined, undefined, 0],
    ]);
    expect(list[1]!.environment_feature_state).toBeNull();
    expect(featureListFromDocs(features, versions, 101, ' DARK ', NOW).map((f) => f.name)).toEqual(['dark_mode']);
  });
});

describe('documents as Admin API shapes', () => {
  test('an environment document becomes the Environment the screens use', () => {
    expect(environmentFromDoc(environmentDoc(101, 10, 'Production', true))).toEqual({
      id: 101, uuid: 'e-101', name: 'Production', api_key: 'key-production', project: 10, description: null, use_v2_feature_versioning: true,
      minimum_change_request_approvals: null, allow_client_traits: true, hide_disabled_flags: null, created_date: '2026-11-01T00:00:00.000Z',
    });
  });

  test('a version document keeps its status, and is live only once published with live_from passed', () => {
    const scheduledLater = versionDoc('s', banner, content(true, 'a'), { liveFrom: '2026-12-01T00:00:00.000Z' });
    expect(versionFromDoc(scheduledLater, NOW)).toMatchObject({ uuid: 's', status: 'published', published: true, is_live: false, published_by: 1 });
    expect(versionFromDoc(scheduledLater, Date.parse('2026-12-02T00:00:00.000Z')).is_live).toBe(true);
    expect(versionFromDoc(versionDoc('c', banner, content(true, 'a'), { status: 'conflict' }), NOW)).toMatchObject({ status: 'conflict', published: false, is_live: false });
  });

  test('a content becomes feature states: the environment default first, then overrides by priority', () => {
    const c = content(true, 'Hello', { 8: { enabled: false, value: 'Ent' }, 7: { enabled: true, value: 'Beta' } });
    // Object key order puts 7 before 8, but priorities say 8 first.
    c.segmentOverrides['8']!.priority = 0;
    c.segmentOverrides['7']!.priority = 1;
    const states = statesFromContent(c, 1000, 101, 'v1');
    expect(states.map((s) => [s.feature_segment?.segment ?? null, s.feature_segment?.priority ?? null, s.enabled, s.feature_state_value.string_value])).toEqual([
      [null, null, true, 'Hello'],
      [8, 0, false, 'Ent'],
      [7, 1, true, 'Beta'],
    ]);
  });

  test('change requests are listed newest first', () => {
    const docs = [changeRequestDoc(1, 101, 'First', '2026-11-01T00:00:00.000Z'), changeRequestDoc(2, 101, 'Second', '2026-11-03T00:00:00.000Z')];
    expect(changeRequestsFromDocs(docs).map((cr) => cr.title)).toEqual(['Second', 'First']);
  });
});

describe('history and comparison from the replica', () => {
  const versions = [
    versionDoc('v1', banner, content(true, 'Hello'), { liveFrom: '2026-11-01T00:00:00.000Z', publishedByUserId: null, createdByUserId: null }),
    versionDoc('v2', banner, content(true, 'Hey', { 7: { enabled: true, value: 'Beta' } }), { liveFrom: '2026-11-05T00:00:00.000Z', publishedByUserId: 2 }),
    versionDoc('v3', banner, content(false, 'Hey'), { status: 'scheduled', liveFrom: '2026-12-01T00:00:00.000Z', publishedByUserId: 9 }),
    versionDoc('other', dark, content(true, 'x')),
  ];
  const users = [{ id: 2, uuid: 'u-2', email: 'dev@example.com', first_name: '', last_name: '', role: 'USER' as const, date_joined: '2026-11-01T00:00:00.000Z' }];

  test('lists one feature’s versions newest first with the live one marked and authors by email, else by id', () => {
    const history = historyFromVersionDocs(versions, 1000, users, NOW);
    expect(history.map((e) => [e.version.uuid, e.isCurrent, e.author, e.states[0]!.feature_state_value.string_value])).toEqual([
      ['v3', false, 'user 9', 'Hey'],
      ['v2', true, 'dev@example.com', 'Hey'],
      ['v1', false, null, 'Hello'],
    ]);
  });

  test('compares two versions locally, older to newer whatever the order chosen, with segment names in the sentences', () => {
    const history = historyFromVersionDocs(versions, 1000, users, NOW);
    const names = versionNames([{ id: 7, name: 'beta_users' }], null);
    const comparison = compareVersionsLocally(history[0]!, history[2]!, names)!;
    expect([comparison.older.version.uuid, comparison.newer.version.uuid]).toEqual(['v1', 'v3']);
    expect(comparison.diff.changes.map((c) => c.sentence)).toEqual(['Disabled the environment default', 'Changed the value of the environment default from "Hello" to "Hey"']);
    const added = diffContents(versions[0]!.content, versions[1]!.content, names).find((c) => c.kind === 'override-added')!;
    expect(added).toMatchObject({ segment_id: 7, option_id: null, from: null });
    expect(added.sentence).toContain("segment 'beta_users'");
  });

  test('entries without content (from the API) are not compared locally', () => {
    const [a, b] = historyFromVersionDocs(versions, 1000, users, NOW);
    expect(compareVersionsLocally({ ...a!, content: undefined }, b!, {})).toBeNull();
  });
});
