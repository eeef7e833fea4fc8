import { afterEach, describe, expect, test } from 'vitest';
import { cleanup, fireEvent, screen, waitFor, within } from '@testing-library/react';
import { SegmentsScreen } from '../../../../src-renderer/features/segments/segments-screen.js';
import { makeData, renderWithServices, signedInServices } from '../fixtures.js';

afterEach(cleanup);

describe('segments', () => {
  test('creates a segment with a nested rules tree and sends it as the API takes it', async () => {
    const data = makeData();
    data.segments = [];
    const { services } = signedInServices(data);
    renderWithServices(<SegmentsScreen environment={data.environments[1]!} />, services);
    expect(await screen.findByText(/^No segments yet/)).toBeTruthy();

    fireEvent.click(screen.getByRole('button', { name: 'New segment' }));
    const form = screen.getByRole('form', { name: 'New segment' });
    fireEvent.change(within(form).getByLabelText('Name'), { target: { value: 'power_users' } });
    fireEvent.change(within(form).getByLabelText('Rule 1 condition 1 trait'), { target: { value: 'plan' } });
    fireEvent.change(within(form).getByLabelText('Rule 1 condition 1 value'), { target: { value: 'pro' } });
    fireEvent.click(within(form).getByRole('button', { name: 'Add nested rule' }));
    fireEvent.change(within(form).getByLabelText('Rule 1.1 matches'), { target: { value: 'NONE' } });
    fireEvent.change(within(form).getByLabelText('Rule 1.1 condition 1 trait'), { target: { value: 'email' } });
    fireEvent.change(within(form).getByLabelText('Rule 1.1 condition 1 operator'), { target: { value: 'IS_SET' } });
    expect(within(form).getByLabelText('Rule 1.1 condition 1 value')).toHaveProperty('disabled', true);
    fireEvent.click(within(form).getByRole('button', { name: 'Create segment' }));

    const list = await screen.findByRole('table', { name: 'Segments of the project' });
    expect(within(list).getAllByRole('row').slice(1).map((r) => [...r.querySelectorAll('th, td')].map((c) => c.textContent))).toEqual([['power_users', '', '2']]);
    expect(data.segments[0]!.rules).toEqual([
      {
        type: 'ALL',
        rules: [{ type: 'NONE', rules: [], conditions: [{ operator: 'IS_SET', property: 'email', value: null }] }],
        conditions: [{ operator: 'EQUAL', property: 'plan', value: 'pro' }],
      },
    ]);
    expect(within(screen.getByRole('form', { name: 'Segment power_users' })).getAllByRole('button').length).toBeGreaterThan(0);
  });

  test('edits an existing segment keeping rule and condition ids, and deletes it after confirmation', async () => {
    const data = makeData();
    data.segments![0]!.rules = [{ id: 1, type: 'ALL', rules: [], conditions: [{ id: 2, operator: 'EQUAL', property: 'plan', value: 'beta', description: null }] }];
    const { services, api } = signedInServices(data);
    renderWithServices(<SegmentsScreen environment={data.environments[1]!} />, services);
    fireEvent.click(await screen.findByRole('button', { name: 'beta_users' }));
    const form = screen.getByRole('form', { name: 'Segment beta_users' });
    expect((within(form).getByLabelText('Rule 1 condition 1 value') as HTMLInputElement).value).toBe('beta');
    fireEvent.change(within(form).getByLabelText('Rule 1 condition 1 value'), { target: { value: 'beta,alpha' } });
    fireEvent.change(within(form).getByLabelText('Rule 1 condition 1 operator'), { target: { value: 'IN' } });
    fireEvent.click(within(form).getByRole('button', { name: 'Save segment' }));
    await waitFor(() => expect(api.calls).toContain('updateSegment:10:7'));
    expect(data.segments!.find((s) => s.id === 7)!.rules).toEqual([{ id: 1, type: 'ALL', rules: [], conditions: [{ id: 2, operator: 'IN', property: 'plan', value: 'beta,alpha' }] }]);

    fireEvent.click(within(await screen.findByRole('form', { name: 'Segment beta_users' })).getByRole('button', { name: 'Delete segment' }));
    fireEvent.click(within(await screen.findByRole('dialog', { name: 'Delete segment beta_users?' })).getByRole('button', { name: 'Delete segment' }));
    await waitFor(() => expect(screen.queryByRole('button', { name: 'beta_users' })).toBeNull());
    expect(data.segments!.map((s) => s.name)).toEqual(['enterprise']);
  });
});
