import { useId, useState, type FormEvent } from 'react';
import type { FirstAdminBody } from '../../data/admin-api.js';
import { formFailure, type FormFailure } from '../../ui/field-errors.js';
import { FieldError } from '../../ui/field-error.js';

interface Props {
  /** Creates the administrator and organisation and signs in; a rejection is shown in place. */
  onCreate(body: FirstAdminBody): Promise<void>;
}

const FIELDS = ['email', 'password', 'first_name', 'organisation_name'] as const;

/** First run of an empty server: the first administrator and their organisation, in one form. */
export function FirstAdminForm({ onCreate }: Props) {
  const id = useId();
  const [name, setName] = useState('');
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  const [organisation, setOrganisation] = useState('');
  const [isSubmitting, setSubmitting] = useState(false);
  const [failure, setFailure] = useState<FormFailure | null>(null);
  const isTooShort = password.length > 0 && password.length < 8;

  async function submit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    setSubmitting(true);
    setFailure(null);
    try {
      await onCreate({ email: email.trim(), password, first_name: name.trim(), organisation_name: organisation.trim() });
    } catch (error) {
      setFailure(formFailure(error, FIELDS));
      setSubmitting(false);
    }
  }

  const errorOf = (field: string) => failure?.fields[field];
  return (
    <main className="sign-in">
      <form className="panel" aria-labelledby={`${id}-title`} onSubmit={(e) => void submit(e)} noValidate>
        <h1 id={`${id}-title`}>Welcome to Flagdesk</h1>
        <p className="muted">This server has no users yet. Create its first administrator and organisation; you can invite everyone else afterwards.</p>
        <label htmlFor={`${id}-name`}>Your name</label>
        <input id={`${id}-name`} autoComplete="name" value={name} onChange={(e) => setName(e.target.value)} aria-invalid={Boolean(errorOf('first_name'))} />
        <FieldError id={`${id}-name-error`} field="Name" message={errorOf('first_name')} />
        <label htmlFor={`${id}-email`}>Email</label>
        <input id={`${id}-email`} type="email" autoComplete="username" required value={email} onChange={(e) => setEmail(e.target.value)} aria-invalid={Boolean(errorOf('email'))} aria-describedby={`${id}-email-error`} />
        <FieldError id={`${id}-email-error`} field="Email" message={errorOf('email')} />
        <label htmlFor={`${id}-password`}>Password</label>
        <input
          id={`${id}-password`}
          type="password"
          autoComplete="new-password"
          required
          value={password}
          onChange={(e) => setPassword(e.target.value)}
          aria-invalid={isTooShort || Boolean(errorOf('password'))}
          aria-describedby={`${id}-password-error`}
        />
        <FieldError id={`${id}-password-error`} field="Password" message={errorOf('password') ?? (isTooShort ? 'must be at least 8 characters' : undefined)} />
        <label htmlFor={`${id}-organisation`}>Organisation</label>
        <input id={`${id}-organisation`} autoComplete="organization" required value={organisation} onChange={(e) => setOrganisation(e.target.value)} placeholder="e.g. Acme" aria-invalid={Boolean(errorOf('organisation_name'))} aria-describedby={`${id}-organisation-error`} />
        <FieldError id={`${id}-organisation-error`} field="Organisation" message={errorOf('organisation_name')} />
        {failure?.form && (
          <p role="alert" className="error">
            {failure.form}
          </p>
        )}
        <button type="submit" disabled={isSubmitting || email.trim() === '' || password.length < 8 || organisation.trim() === ''}>
          {isSubmitting ? 'Creating…' : 'Create administrator and organisation'}
        </button>
      </form>
    </main>
  );
}
