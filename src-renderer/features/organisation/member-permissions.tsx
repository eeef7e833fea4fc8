import { useId, useState } from 'react';
import { useAppServices } from '../../app/app-services.js';
import type { Environment, OrganisationUser, Project } from '../../data/api-client.js';
import type { GrantScope, PermissionGrant } from '../../data/admin-api.js';
import { EnvironmentPermission, ProjectPermission } from '../../../src-shared/domain/permissions/permissions.js';
import { describeError } from '../../ui/error-text.js';
import { useResource } from '../../ui/use-resource.js';

const LABEL: Record<string, string> = {
  VIEW_PROJECT: 'View project',
  CREATE_ENVIRONMENT: 'Create environments',
  CREATE_FEATURE: 'Create features',
  EDIT_FEATURE: 'Edit features',
  DELETE_FEATURE: 'Delete features',
  MANAGE_SEGMENTS: 'Manage segments',
  VIEW_AUDIT_LOG: 'View audit log',
  VIEW_ENVIRONMENT: 'View environment',
  UPDATE_FEATURE_STATE: 'Change flags',
  MANAGE_SEGMENT_OVERRIDES: 'Manage segment overrides',
  MANAGE_IDENTITIES: 'Manage identities',
  VIEW_IDENTITIES: 'View identities',
  CREATE_CHANGE_REQUEST: 'Create change requests',
  APPROVE_CHANGE_REQUEST: 'Approve change requests',
};

/** A member's permissions on each project of the organisation and each of its environments. */
export function MemberPermissions({ organisationId, member, onClose }: { organisationId: number; member: OrganisationUser; onClose(): void }) {
  const { api } = useAppServices();
  const id = useId();
  const projects = useResource(`grant-projects:${organisationId}`, () => api.listProjects(organisationId));
  return (
    <section className="panel" aria-labelledby={`${id}-title`}>
      <div className="draft-head">
        <h2 id={`${id}-title`}>Permissions of {member.email}</h2>
        <button type="button" className="quiet" onClick={onClose}>
          Close
        </button>
      </div>
      <p className="muted">Each level is saved as you change it. Admin of a project or environment holds every permission there.</p>
      {projects.status === 'failed' && (
        <p role="alert" className="error">
          {describeError(projects.error)}
        </p>
      )}
      {projects.status === 'ready' && projects.data.length === 0 && <p className="muted">The organisation has no projects yet.</p>}
      {projects.status === 'ready' && projects.data.map((project) => <ProjectGrants key={project.id} project={project} member={member} />)}
    </section>
  );
}

function ProjectGrants({ project, member }: { project: Project; member: OrganisationUser }) {
  const { api } = useAppServices();
  const environments = useResource(`grant-environments:${project.id}`, () => api.listEnvironments(project.id));
  return (
    <div className="place grant-levels">
      <GrantEditor scope={{ projectId: project.id }} label={`project ${project.name}`} keys={Object.values(ProjectPermission)} member={member} />
      {environments.status === 'ready' &&
        environments.data.map((environment: Environment) => (
          <GrantEditor key={environment.id} scope={{ environmentKey: environment.api_key }} label={`environment ${environment.name}`} keys={Object.values(EnvironmentPermission)} member={member} />
        ))}
    </div>
  );
}

interface GrantEditorProps {
  scope: GrantScope;
  /** "project Storefront" / "environment Production", for labels. */
  label: string;
  keys: readonly string[];
  member: OrganisationUser;
}

function GrantEditor({ scope, label, keys, member }: GrantEditorProps) {
  const { admin } = useAppServices();
  const scopeKey = 'projectId' in scope ? `p${scope.projectId}` : `e${scope.environmentKey}`;
  const [reload, setReload] = useState(0);
  const [failure, setFailure] = useState<string | null>(null);
  const [isSaving, setSaving] = useState(false);
  const grants = useResource(`grants:${scopeKey}:${reload}`, () => admin.listGrants(scope));
  const list = grants.status === 'ready' ? grants.data : grants.status === 'loading' ? grants.stale : undefined;
  const grant: PermissionGrant | undefined = list?.find((g) => g.user.id === member.id);
  const held = new Set(grant?.permissions ?? []);

  async function save(permissions: string[], isAdmin: boolean) {
    setSaving(true);
    setFailure(null);
    try {
      const body = { user: member.id, permissions, admin: isAdmin };
      if (!grant) await admin.createGrant(scope, body);
      else if (permissions.length === 0 && !isAdmin) await admin.deleteGrant(scope, grant.id);
      else await admin.updateGrant(scope, grant.id, body);
      setReload((r) => r + 1);
    } catch (error) {
      setFailure(describeError(error));
    } finally {
      setSaving(false);
    }
  }

  return (
    <div role="group" aria-label={`Permissions on ${label}`} aria-busy={isSaving}>
      <h3>{label.charAt(0).toUpperCase() + label.slice(1)}</h3>
      <div className="perm-grid">
        <label>
          <input type="checkbox" checked={grant?.admin ?? false} disabled={isSaving || list === undefined} onChange={(e) => void save([...held], e.target.checked)} />
          Admin
        </label>
        {keys.map((key) => (
          <label key={key}>
            <input
              type="checkbox"
              checked={grant?.admin === true || held.has(key)}
              disabled={isSaving || list === undefined || grant?.admin === true}
              onChange={(e) => void save(e.target.checked ? [...held, key] : [...held].filter((k) => k !== key), grant?.admin ?? false)}
            />
            {LABEL[key] ?? key}
          </label>
        ))}
      </div>
      {failure && (
        <p role="alert" className="error">
          {failure}
        </p>
      )}
    </div>
  );
}
