import { afterEach, describe, expect, test } from 'vitest';
import { cleanup, render, screen, within } from '@testing-library/react';
import { DiffView } from '../../../../src-renderer/features/versions/diff-view.js';
import type { VersionChange, VersionState } from '../../../../src-renderer/data/api-client.js';

afterEach(cleanup);

const text = (value: string | null) => ({ type: 'unicode' as const, string_value: value, integer_value: null, boolean_value: null });
function versionState(id: number, enabled: boolean, value: string | null, override?: { segment: number; priority: number }): VersionState {
  return {
    id, uuid: `s-${id}`, feature: 1, environment: 1, identity: null, feature_segment: override ? { id: id + 100, uuid: `fs-${id}`, ...override } : null, enabled,
    feature_state_value: text(value), multivariate_feature_state_values: [], live_from: null, created_at: '2026-11-01T00:00:00.000Z', updated_at: '2026-11-01T00:00:00.000Z',
    change_request: null, environment_feature_version: 'v',
  };
}
const NAMES: Record<number, string> = { 7: 'beta_users', 8: 'enterprise' };
const change = (kind: VersionChange['kind'], sentence: string, segment_id: number | null = null): VersionChange => ({ kind, segment_id, option_id: null, from: null, to: null, sentence });

describe('DiffView', () => {
  test('lists the changes as sentences and lays both versions side by side, marking what changed', () => {
    const before = [versionState(1, true, 'Hello'), versionState(2, true, 'beta', { segment: 7, priority: 0 })];
    const after = [versionState(3, false, 'Hello'), versionState(4, true, 'big', { segment: 8, priority: 0 })];
    render(
      <DiffView
        changes={[
          change('enabled', 'Disabled the environment default'),
          change('override-removed', "Removed the override for segment 'beta_users'", 7),
          change('override-added', "Added an override for segment 'enterprise' at priority 0 (enabled, value \"big\")", 8),
        ]}
        before={before}
        after={after}
        beforeLabel="Live"
        afterLabel="Draft"
        segmentName={(id) => NAMES[id]!}
      />,
    );
    expect(within(screen.getByRole('list', { name: 'Changes' })).getAllByRole('listitem').map((li) => li.textContent)).toEqual([
      'Disabled the environment default',
      "Removed the override for segment 'beta_users'",
      'Added an override for segment \'enterprise\' at priority 0 (enabled, value "big")',
    ]);
    const table = screen.getByRole('table', { name: 'Live and Draft side by side' });
    const rows = within(table).getAllByRole('row').slice(1).map((r) => [...r.querySelectorAll('th, td')].map((c) => c.textContent));
    expect(rows).toEqual([
      ['Environment default · Enabled', 'On', 'Off'],
      ['Environment default · Value', '"Hello"', '"Hello"'],
      ['enterprise · Enabled', 'no override', 'On'],
      ['enterprise · Value', 'no override', '"big"'],
      ['enterprise · Priority', 'no override', '1'],
      ['beta_users · Enabled', 'On', 'no override'],
      ['beta_users · Value', '"beta"', 'no override'],
      ['beta_users · Priority', '1', 'no override'],
    ]);
    expect(within(table).getAllByRole('row', { name: /changed$/ })).toHaveLength(7);
    expect(within(table).queryByRole('row', { name: 'Environment default value changed' })).toBeNull();
  });

  test('says so when two versions serve the same flags', () => {
    const same = [versionState(1, true, 'x')];
    render(<DiffView changes={[]} before={same} after={same} beforeLabel="Older" afterLabel="Newer" segmentName={() => ''} />);
    expect(screen.getByText('No changes: both versions serve the same flags.').tagName).toBe('P');
    expect(within(screen.getByRole('table')).queryAllByRole('row', { name: /changed$/ })).toHaveLength(0);
  });

  test('shows the sentences alone when the states are not given', () => {
    render(<DiffView changes={[change('value', 'Changed the value of the environment default from 1 to 2')]} beforeLabel="A" afterLabel="B" segmentName={() => ''} />);
    expect(screen.getByRole('listitem').textContent).toBe('Changed the value of the environment default from 1 to 2');
    expect(screen.queryByRole('table')).toBeNull();
  });
});
