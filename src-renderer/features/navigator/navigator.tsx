import { useEffect, useState } from 'react';
import { useAppServices } from '../../app/app-services.js';
import { useReplicaOrRest } from '../../replica/use-replica-source.js';
import { environments$, organisations$, projects$ } from '../../replica/replica-queries.js';
import { ErrorBoundary } from '../../ui/error-boundary.js';
import { ListPanel } from './list-panel.js';
import { EnvironmentWorkspace } from '../environment/environment-workspace.js';
import { CommandPalette } from '../command-palette/command-palette.js';
import { NavigatorDialogs, type NavigatorDialog } from './navigator-dialogs.js';
import { OrganisationScreen } from '../organisation/organisation-screen.js';

/** Organisations → projects → environments in the sidebar; the chosen environment's screens beside them. */
export function Navigator() {
  const { api, store } = useAppServices();
  const selection = store((s) => s.selection);
  const revision = store((s) => s.revision);
  const isPaletteOpen = store((s) => s.isPaletteOpen);
  const { selectOrganisation, selectProject, selectEnvironment } = store.getState();
  const [dialog, setDialog] = useState<NavigatorDialog | null>(null);
  /** The organisation's own screen (members, API keys) instead of an environment's. */
  const [isOrganisationOpen, setOrganisationOpen] = useState(false);

  // From the replica once it has replicated (live), else from the API.
  const organisations = useReplicaOrRest({ key: 'organisations', load: () => api.listOrganisations() }, { key: 'organisations', query: (db) => organisations$(db) });
  const projects = useReplicaOrRest(
    { key: selection.organisationId ? `projects:${selection.organisationId}:${revision}` : null, load: () => api.listProjects(selection.organisationId!) },
    { key: selection.organisationId ? `projects:${selection.organisationId}` : null, query: (db) => projects$(db, selection.organisationId!) },
  );
  const environments = useReplicaOrRest(
    { key: selection.projectId ? `environments:${selection.projectId}:${revision}` : null, load: () => api.listEnvironments(selection.projectId!) },
    { key: selection.projectId ? `environments:${selection.projectId}` : null, query: (db) => environments$(db, selection.projectId!) },
  );

  // With a single organisation there is nothing to choose: open it.
  const only = organisations.status === 'ready' && organisations.data.length === 1 ? organisations.data[0] : undefined;
  useEffect(() => {
    if (only && selection.organisationId === undefined) selectOrganisation(only.id);
  }, [only, selection.organisationId, selectOrganisation]);

  // A reload after a settings change keeps the previous list, so the open screen stays mounted.
  const environmentList = environments.status === 'ready' ? environments.data : environments.status === 'loading' ? environments.stale : undefined;
  const environment = environmentList?.find((e) => e.api_key === selection.environmentKey);

  return (
    <div className="workspace">
      <nav className="sidebar" aria-label="Navigator">
        <ListPanel
          title="Organisations"
          resource={organisations}
          emptyText="You do not belong to any organisation yet."
          keyOf={(o) => String(o.id)}
          labelOf={(o) => o.name}
          selectedKey={selection.organisationId?.toString()}
          onSelect={(o) => {
            setOrganisationOpen(false);
            selectOrganisation(o.id);
          }}
        />
        {selection.organisationId !== undefined && (
          <button type="button" className="quiet org-settings" aria-pressed={isOrganisationOpen} onClick={() => setOrganisationOpen(true)}>
            Members and API keys
          </button>
        )}
        {selection.organisationId !== undefined && (
          <ListPanel
            title="Projects"
            resource={projects}
            emptyText="No projects in this organisation yet."
            keyOf={(p) => String(p.id)}
            labelOf={(p) => p.name}
            selectedKey={selection.projectId?.toString()}
            onSelect={(p) => {
              setOrganisationOpen(false);
              selectProject(p.id);
            }}
            create={{ label: 'New project', onClick: () => setDialog({ kind: 'new-project', organisationId: selection.organisationId! }) }}
            edit={{ label: 'Settings of project', onClick: (project) => setDialog({ kind: 'edit-project', project }) }}
          />
        )}
        {selection.projectId !== undefined && (
          <ListPanel
            title="Environments"
            resource={environments}
            emptyText="No environments in this project yet."
            keyOf={(e) => e.api_key}
            labelOf={(e) => e.name}
            selectedKey={selection.environmentKey}
            onSelect={(e) => {
              setOrganisationOpen(false);
              selectEnvironment(e.api_key);
            }}
            create={{ label: 'New environment', onClick: () => setDialog({ kind: 'new-environment', projectId: selection.projectId! }) }}
            edit={{ label: 'Settings of environment', onClick: (environment) => setDialog({ kind: 'edit-environment', environment }) }}
          />
        )}
      </nav>
      <div className="content">
        {isOrganisationOpen && selection.organisationId !== undefined ? (
          <ErrorBoundary feature="the organisation">
            <OrganisationScreen key={selection.organisationId} organisationId={selection.organisationId} />
          </ErrorBoundary>
        ) : environment && environmentList ? (
          <EnvironmentWorkspace environment={environment} environments={environmentList} />
        ) : (
          <div className="empty-state">
            <EmptyContent
              hasProjects={(projects.status === 'ready' && projects.data.length > 0) || selection.projectId !== undefined}
              hasEnvironments={environmentList !== undefined && environmentList.length > 0}
              projectChosen={selection.projectId !== undefined}
              onNewProject={selection.organisationId !== undefined ? () => setDialog({ kind: 'new-project', organisationId: selection.organisationId! }) : undefined}
              onNewEnvironment={selection.projectId !== undefined ? () => setDialog({ kind: 'new-environment', projectId: selection.projectId! }) : undefined}
            />
            <p className="muted">
              Press <kbd>Ctrl</kbd> <kbd>K</kbd> to jump anywhere.
            </p>
          </div>
        )}
      </div>
      {dialog && <NavigatorDialogs dialog={dialog} onDone={() => setDialog(null)} />}
      {isPaletteOpen && (
        <ErrorBoundary feature="the command palette">
          <CommandPalette environment={environment} />
        </ErrorBoundary>
      )}
    </div>
  );
}

interface EmptyContentProps {
  hasProjects: boolean;
  hasEnvironments: boolean;
  projectChosen: boolean;
  onNewProject: (() => void) | undefined;
  onNewEnvironment: (() => void) | undefined;
}

/** What the main area says before an environment is chosen, with the action that gets the user further. */
function EmptyContent({ hasProjects, hasEnvironments, projectChosen, onNewProject, onNewEnvironment }: EmptyContentProps) {
  if (!hasProjects && onNewProject) {
    return (
      <>
        <p>This organisation has no projects yet. A project holds your features, segments and environments.</p>
        <button type="button" className="primary" onClick={onNewProject}>
          Create your first project
        </button>
      </>
    );
  }
  if (projectChosen && !hasEnvironments && onNewEnvironment) {
    return (
      <>
        <p>This project has no environments yet. Create one (e.g. Development), then its features.</p>
        <button type="button" className="primary" onClick={onNewEnvironment}>
          Create an environment
        </button>
      </>
    );
  }
  return <p>{projectChosen ? 'Choose an environment to see its features.' : 'Choose a project to see its environments.'}</p>;
}
