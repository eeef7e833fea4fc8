import { afterEach, describe, expect, test } from 'vitest';
import { cleanup, fireEvent, render, screen } from '@testing-library/react';
import { SignInForm } from '../../../../src-renderer/features/sign-in/sign-in-form.js';
import { ApiError } from '../../../../src-renderer/data/api-client.js';

afterEach(cleanup);

function fill(email: string, password: string) {
  fireEvent.change(screen.getByLabelText('Email'), { target: { value: email } });
  fireEvent.change(screen.getByLabelText('Password'), { target: { value: password } });
}

describe('SignInForm', () => {
  test('submits the trimmed email and the password', async () => {
    const submitted: string[][] = [];
    render(<SignInForm onSignIn={async (email, password) => void submitted.push([email, password])} />);
    fill('  admin@example.com ', 'a long password');
    fireEvent.click(screen.getByRole('button', { name: 'Sign in' }));
    await screen.findByRole('button', { name: 'Signing in…' });
    expect(submitted).toEqual([['admin@example.com', 'a long password']]);
  });

  test('keeps the button disabled until both fields are filled', () => {
    render(<SignInForm onSignIn={async () => undefined} />);
    expect(screen.getByRole('button', { name: 'Sign in' })).toHaveProperty('disabled', true);
    fill('admin@example.com', '');
    expect(screen.getByRole('button', { name: 'Sign in' })).toHaveProperty('disabled', true);
    fill('admin@example.com', 'pw');
    expect(screen.getByRole('button', { name: 'Sign in' })).toHaveProperty('disabled', false);
  });

  test('says the credentials are wrong when the server refuses them, and lets the user retry', async () => {
    render(<SignInForm onSignIn={() => Promise.reject(new ApiError('VALIDATION_FAILED', 'Unable to log in with provided credentials.', 400))} />);
    fill('admin@example.com', 'wrong');
    fireEvent.submit(screen.getByRole('form', { name: 'Sign in to Flagdesk' }));
    expect((await screen.findByRole('alert')).textContent).toBe('The email or password is not correct.');
    expect(screen.getByRole('button', { name: 'Sign in' })).toHaveProperty('disabled', false);
  });

  test('says the server cannot be reached on a network failure', async () => {
    render(<SignInForm onSignIn={() => Promise.reject(new ApiError('NETWORK', 'fetch failed', 0))} />);
    fill('admin@example.com', 'pw');
    fireEvent.click(screen.getByRole('button', { name: 'Sign in' }));
    expect((await screen.findByRole('alert')).textContent).toMatch(/could not be reached/);
  });
});
