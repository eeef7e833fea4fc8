import { useId, useState } from 'react';
import { useAppServices } from '../../app/app-services.js';
import type { Environment, Project } from '../../data/api-client.js';
import { ConfirmDialog } from '../../ui/confirm-dialog.js';
import { FieldError } from '../../ui/field-error.js';
import { FormDialog } from '../../ui/form-dialog.js';

/** Which navigator dialog is open. */
export type NavigatorDialog =
  | { kind: 'new-project'; organisationId: number }
  | { kind: 'edit-project'; project: Project }
  | { kind: 'new-environment'; projectId: number }
  | { kind: 'edit-environment'; environment: Environment };

/** The open navigator dialog; `onDone` closes it (after a write the lists are reloaded). */
export function NavigatorDialogs({ dialog, onDone }: { dialog: NavigatorDialog; onDone(): void }) {
  if (dialog.kind === 'new-project') return <NewProjectDialog organisationId={dialog.organisationId} onDone={onDone} />;
  if (dialog.kind === 'edit-project') return <EditProjectDialog project={dialog.project} onDone={onDone} />;
  if (dialog.kind === 'new-environment') return <NewEnvironmentDialog projectId={dialog.projectId} onDone={onDone} />;
  return <EditEnvironmentDialog environment={dialog.environment} onDone={onDone} />;
}

function NameField({ id, label, value, onChange, error }: { id: string; label: string; value: string; onChange(v: string): void; error: string | undefined }) {
  return (
    <>
      <label htmlFor={id}>{label}</label>
      <input id={id} value={value} onChange={(e) => onChange(e.target.value)} autoComplete="off" aria-invalid={Boolean(error)} aria-describedby={`${id}-error`} />
      <FieldError id={`${id}-error`} field={label} message={error} />
    </>
  );
}

function NewProjectDialog({ organisationId, onDone }: { organisationId: number; onDone(): void }) {
  const { admin, store } = useAppServices();
  const id = useId();
  const [name, setName] = useState('');
  return (
    <FormDialog
      title="New project"
      submitLabel="Create project"
      fields={['name']}
      isSubmitDisabled={name.trim() === ''}
      onCancel={onDone}
      onSubmit={async () => {
        const project = await admin.createProject({ name: name.trim(), organisation: organisationId });
        store.getState().bumpRevision();
        store.getState().selectProject(project.id);
        onDone();
      }}
    >
      {(errors) => (
        <>
          <p className="muted">A project holds features and segments; each of its environments (e.g. Development, Production) has its own flag states.</p>
          <NameField id={`${id}-name`} label="Name" value={name} onChange={setName} error={errors.name} />
        </>
      )}
    </FormDialog>
  );
}

function EditProjectDialog({ project, onDone }: { project: Project; onDone(): void }) {
  const { admin, store } = useAppServices();
  const id = useId();
  const [name, setName] = useState(project.name);
  const [isConfirmingDelete, setConfirmingDelete] = useState(false);
  if (isConfirmingDelete) {
    return (
      <ConfirmDialog
        title={`Delete project ${project.name}?`}
        confirmLabel="Delete project"
        isDestructive
        acknowledgement={`I understand that every environment, feature and segment of ${project.name} is deleted.`}
        onCancel={() => setConfirmingDelete(false)}
        onConfirm={async () => {
          await admin.deleteProject(project.id);
          store.setState((s) => ({ selection: { organisationId: s.selection.organisationId }, view: { screen: 'features' } }));
          store.getState().bumpRevision();
          onDone();
        }}
      >
        <p>SDKs using its environment keys stop getting flags. This cannot be undone.</p>
      </ConfirmDialog>
    );
  }
  return (
    <FormDialog
      title={`Project ${project.name}`}
      submitLabel="Rename project"
      fields={['name']}
      isSubmitDisabled={name.trim() === '' || name.trim() === project.name}
      onCancel={onDone}
      extraActions={
        <button type="button" className="quiet" onClick={() => setConfirmingDelete(true)}>
          Delete project…
        </button>
      }
      onSubmit={async () => {
        await admin.renameProject(project.id, name.trim());
        store.getState().bumpRevision();
        onDone();
      }}
    >
      {(errors) => <NameField id={`${id}-name`} label="Name" value={name} onChange={setName} error={errors.name} />}
    </FormDialog>
  );
}

function NewEnvironmentDialog({ projectId, onDone }: { projectId: number; onDone(): void }) {
  const { admin, store } = useAppServices();
  const id = useId();
  const [name, setName] = useState('');
  const [description, setDescription] = useState('');
  return (
    <FormDialog
      title="New environment"
      submitLabel="Create environment"
      fields={['name', 'description']}
      isSubmitDisabled={name.trim() === ''}
      onCancel={onDone}
      onSubmit={async () => {
        const environment = await admin.createEnvironment({ name: name.trim(), project: projectId, ...(description.trim() ? { description: description.trim() } : {}) });
        store.getState().bumpRevision();
        store.getState().selectEnvironment(environment.api_key);
        onDone();
      }}
    >
      {(errors) => (
        <>
          <p className="muted">Every feature of the project gets a state here, starting from its initial value.</p>
          <NameField id={`${id}-name`} label="Name" value={name} onChange={setName} error={errors.name} />
          <NameField id={`${id}-description`} label="Description (optional)" value={description} onChange={setDescription} error={errors.description} />
        </>
      )}
    </FormDialog>
  );
}

function EditEnvironmentDialog({ environment, onDone }: { environment: Environment; onDone(): void }) {
  const { admin, store } = useAppServices();
  const id = useId();
  const [name, setName] = useState(environment.name);
  const [description, setDescription] = useState(environment.description ?? '');
  const [isConfirmingDelete, setConfirmingDelete] = useState(false);
  const isUnchanged = name.trim() === environment.name && description.trim() === (environment.description ?? '');
  if (isConfirmingDelete) {
    return (
      <ConfirmDialog
        title={`Delete environment ${environment.name}?`}
        confirmLabel="Delete environment"
        isDestructive
        acknowledgement={`I understand that the flag states, versions and keys of ${environment.name} are deleted.`}
        onCancel={() => setConfirmingDelete(false)}
        onConfirm={async () => {
          await admin.deleteEnvironment(environment.api_key);
          store.setState((s) => ({ selection: { organisationId: s.selection.organisationId, projectId: s.selection.projectId }, view: { screen: 'features' } }));
          store.getState().bumpRevision();
          onDone();
        }}
      >
        <p>
          SDKs using <code>{environment.api_key}</code> or its server-side keys stop getting flags. This cannot be undone.
        </p>
      </ConfirmDialog>
    );
  }
  return (
    <FormDialog
      title={`Environment ${environment.name}`}
      submitLabel="Save"
      fields={['name', 'description']}
      isSubmitDisabled={name.trim() === '' || isUnchanged}
      onCancel={onDone}
      extraActions={
        <button type="button" className="quiet" onClick={() => setConfirmingDelete(true)}>
          Delete environment…
        </button>
      }
      onSubmit={async () => {
        await admin.updateEnvironment(environment.api_key, { name: name.trim(), description: description.trim() || null });
        store.getState().bumpRevision();
        onDone();
      }}
    >
      {(errors) => (
        <>
          <NameField id={`${id}-name`} label="Name" value={name} onChange={setName} error={errors.name} />
          <NameField id={`${id}-description`} label="Description" value={description} onChange={setDescription} error={errors.description} />
        </>
      )}
    </FormDialog>
  );
}
