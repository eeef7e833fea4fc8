import { useId, useState, type FormEvent } from 'react';
import { describeError } from '../../ui/error-text.js';

interface Props {
  /** Signs in; a rejection is shown to the user. */
  onSignIn(email: string, password: string): Promise<void>;
  /** A note above the form (e.g. why the first-run form is gone). */
  notice?: string;
}

/** Email + password form of the dashboard. */
export function SignInForm({ onSignIn, notice }: Props) {
  const id = useId();
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  const [isSubmitting, setSubmitting] = useState(false);
  const [failure, setFailure] = useState<string | null>(null);

  async function submit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    setSubmitting(true);
    setFailure(null);
    try {
      await onSignIn(email.trim(), password);
    } catch (error) {
      // Flagsmith answers a wrong password with 400 "Unable to log in with provided credentials."
      setFailure(describeSignInError(error));
      setSubmitting(false);
    }
  }

  return (
    <main className="sign-in">
      <form className="panel" aria-labelledby={`${id}-title`} onSubmit={submit} noValidate>
        <h1 id={`${id}-title`}>Sign in to Flagdesk</h1>
        {notice && (
          <p role="status" className="notice">
            {notice}
          </p>
        )}
        <label htmlFor={`${id}-email`}>Email</label>
        <input id={`${id}-email`} name="email" type="email" autoComplete="username" required value={email} onChange={(e) => setEmail(e.target.value)} />
        <label htmlFor={`${id}-password`}>Password</label>
        <input
          id={`${id}-password`}
          name="password"
          type="password"
          autoComplete="current-password"
          required
          value={password}
          onChange={(e) => setPassword(e.target.value)}
        />
        {failure && (
          <p role="alert" className="error">
            {failure}
          </p>
        )}
        <button type="submit" disabled={isSubmitting || email.trim() === '' || password === ''}>
          {isSubmitting ? 'Signing in…' : 'Sign in'}
        </button>
      </form>
    </main>
  );
}

function describeSignInError(error: unknown): string {
  const code = (error as { code?: unknown } | null)?.code;
  if (code === 'VALIDATION_FAILED' || code === 'UNAUTHENTICATED') return 'The email or password is not correct.';
  return describeError(error);
}
