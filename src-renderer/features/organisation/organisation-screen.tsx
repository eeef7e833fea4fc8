import { useId, useState, type FormEvent } from 'react';
import { useAppServices } from '../../app/app-services.js';
import type { OrganisationUser } from '../../data/api-client.js';
import type { Role } from '../../data/admin-api.js';
import { ConfirmDialog } from '../../ui/confirm-dialog.js';
import { describeError } from '../../ui/error-text.js';
import { FieldError } from '../../ui/field-error.js';
import { formFailure, type FormFailure } from '../../ui/field-errors.js';
import { useResource } from '../../ui/use-resource.js';
import { MemberPermissions } from './member-permissions.js';
import { OrganisationApiKeys, HistoryWindow } from './organisation-keys.js';

const personOf = (u: Pick<OrganisationUser, 'first_name' | 'last_name' | 'email'>) => [u.first_name, u.last_name].filter(Boolean).join(' ') || u.email;

/** The organisation's own screen: its members with their roles and permissions, its API keys, its history window. */
export function OrganisationScreen({ organisationId }: { organisationId: number }) {
  const { admin, store } = useAppServices();
  const id = useId();
  const me = store((s) => (s.session.status === 'signedIn' ? s.session.user.id : null));
  const [reload, setReload] = useState(0);
  const [failure, setFailure] = useState<string | null>(null);
  const [removing, setRemoving] = useState<OrganisationUser | null>(null);
  const [permissionsOf, setPermissionsOf] = useState<OrganisationUser | null>(null);
  const members = useResource(`members:${organisationId}:${reload}`, () => admin.listMembers(organisationId));
  const list = members.status === 'ready' ? members.data : members.status === 'loading' ? members.stale : undefined;

  async function changeRole(user: OrganisationUser, role: Role) {
    setFailure(null);
    try {
      await admin.changeRole(organisationId, user.id, role);
      setReload((r) => r + 1);
    } catch (error) {
      setFailure(`${personOf(user)}: ${describeError(error)}`);
    }
  }

  return (
    <div className="admin-screen">
      <section className="panel" aria-labelledby={`${id}-members`}>
        <h2 id={`${id}-members`}>Members</h2>
        <p className="muted">Administrators manage the organisation and see everything. Users see the projects and environments they are given permissions on.</p>
        {members.status === 'failed' && (
          <p role="alert" className="error">
            {describeError(members.error)}
          </p>
        )}
        {failure && (
          <p role="alert" className="error">
            {failure}
          </p>
        )}
        {list && (
          <table aria-label="Members of the organisation">
            <thead>
              <tr>
                <th scope="col">Member</th>
                <th scope="col">Role</th>
                <th scope="col">
                  <span className="sr-only">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {list.map((user) => (
                <tr key={user.id}>
                  <th scope="row">
                    {personOf(user)}
                    {personOf(user) !== user.email && <span className="muted"> {user.email}</span>}
                    {user.id === me && <span className="badge subtle me">you</span>}
                  </th>
                  <td>
                    <select aria-label={`Role of ${user.email}`} value={user.role} onChange={(e) => void changeRole(user, e.target.value as Role)}>
                      <option value="ADMIN">Administrator</option>
                      <option value="USER">User</option>
                    </select>
                  </td>
                  <td className="row-actions">
                    {user.role === 'USER' && (
                      <button type="button" aria-label={`Permissions of ${user.email}`} aria-expanded={permissionsOf?.id === user.id} onClick={() => setPermissionsOf(permissionsOf?.id === user.id ? null : user)}>
                        Permissions
                      </button>
                    )}{' '}
                    <button type="button" className="quiet" aria-label={`Remove ${user.email}`} onClick={() => setRemoving(user)}>
                      Remove
                    </button>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
        {list === undefined && members.status === 'loading' && <p role="status">Loading…</p>}
      </section>
      {permissionsOf && <MemberPermissions key={permissionsOf.id} organisationId={organisationId} member={permissionsOf} onClose={() => setPermissionsOf(null)} />}
      <AddMemberForm organisationId={organisationId} onAdded={() => setReload((r) => r + 1)} />
      <OrganisationApiKeys organisationId={organisationId} />
      <HistoryWindow organisationId={organisationId} />
      {removing && (
        <ConfirmDialog
          title={`Remove ${removing.email} from the organisation?`}
          confirmLabel="Remove member"
          isDestructive
          onCancel={() => setRemoving(null)}
          onConfirm={async () => {
            await admin.removeMember(organisationId, removing.id);
            setRemoving(null);
            if (permissionsOf?.id === removing.id) setPermissionsOf(null);
            setReload((r) => r + 1);
          }}
        >
          <p>Their project and environment permissions go with them. Their account stays, and can be added again.</p>
        </ConfirmDialog>
      )}
    </div>
  );
}

const MEMBER_FIELDS = ['email', 'password', 'first_name', 'role'] as const;

function AddMemberForm({ organisationId, onAdded }: { organisationId: number; onAdded(): void }) {
  const { admin } = useAppServices();
  const id = useId();
  const [email, setEmail] = useState('');
  const [name, setName] = useState('');
  const [password, setPassword] = useState('');
  const [role, setRole] = useState<Role>('USER');
  const [failure, setFailure] = useState<FormFailure | null>(null);
  const [added, setAdded] = useState<string | null>(null);
  const [isSaving, setSaving] = useState(false);

  async function submit(event: FormEvent) {
    event.preventDefault();
    setSaving(true);
    setFailure(null);
    setAdded(null);
    try {
      const user = await admin.addMember(organisationId, { email: email.trim(), role, ...(password ? { password } : {}), ...(name.trim() ? { first_name: name.trim() } : {}) });
      setAdded(`${user.email} is now a member${password ? ' and can sign in with the password you set' : ''}.`);
      setEmail('');
      setName('');
      setPassword('');
      onAdded();
    } catch (error) {
      setFailure(formFailure(error, MEMBER_FIELDS));
    } finally {
      setSaving(false);
    }
  }

  return (
    <form className="panel" aria-labelledby={`${id}-title`} onSubmit={(e) => void submit(e)} noValidate>
      <h2 id={`${id}-title`}>Add a member</h2>
      <p className="muted">Add someone who already has an account by email, or create their account with a first password to pass on to them.</p>
      <div className="inline-form">
        <div>
          <label htmlFor={`${id}-email`}>Email</label>
          <input id={`${id}-email`} type="email" value={email} onChange={(e) => setEmail(e.target.value)} autoComplete="off" aria-invalid={Boolean(failure?.fields.email)} />
        </div>
        <div>
          <label htmlFor={`${id}-name`}>Name (new account)</label>
          <input id={`${id}-name`} value={name} onChange={(e) => setName(e.target.value)} autoComplete="off" />
        </div>
        <div>
          <label htmlFor={`${id}-password`}>Password (new account)</label>
          <input id={`${id}-password`} type="password" autoComplete="new-password" value={password} onChange={(e) => setPassword(e.target.value)} aria-invalid={Boolean(failure?.fields.password)} />
        </div>
        <div>
          <label htmlFor={`${id}-role`}>Role</label>
          <select id={`${id}-role`} value={role} onChange={(e) => setRole(e.target.value as Role)}>
            <option value="USER">User</option>
            <option value="ADMIN">Administrator</option>
          </select>
        </div>
        <button type="submit" className="primary" disabled={isSaving || email.trim() === ''}>
          Add member
        </button>
      </div>
      <FieldError field="Email" message={failure?.fields.email} />
      <FieldError field="Password" message={failure?.fields.password} />
      <FieldError field="Name" message={failure?.fields.first_name} />
      {failure?.form && (
        <p role="alert" className="error">
          {failure.form}
        </p>
      )}
      {added && (
        <p role="status" className="notice">
          {added}
        </p>
      )}
    </form>
  );
}
