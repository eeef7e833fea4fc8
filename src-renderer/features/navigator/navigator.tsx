import { useEffect } from 'react';
import { useAppServices } from '../../app/app-services.js';
import { useReplicaOrRest } from '../../replica/use-replica-source.js';
import { environments$, organisations$, projects$ } from '../../replica/replica-queries.js';
import { ErrorBoundary } from '../../ui/error-boundary.js';
import { ListPanel } from './list-panel.js';
import { EnvironmentWorkspace } from '../environment/environment-workspace.js';
import { CommandPalette } from '../command-palette/command-palette.js';

/** Organisations → projects → environments in the sidebar; the chosen environment's screens beside them. */
export function Navigator() {
  const { api, store } = useAppServices();
  const selection = store((s) => s.selection);
  const revision = store((s) => s.revision);
  const isPaletteOpen = store((s) => s.isPaletteOpen);
  const { selectOrganisation, selectProject, selectEnvironment } = store.getState();

  // From the replica once it has replicated (live), else from the API.
  const organisations = useReplicaOrRest({ key: 'organisations', load: () => api.listOrganisations() }, { key: 'organisations', query: (db) => organisations$(db) });
  const projects = useReplicaOrRest(
    { key: selection.organisationId ? `projects:${selection.organisationId}` : null, load: () => api.listProjects(selection.organisationId!) },
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
          onSelect={(o) => selectOrganisation(o.id)}
        />
        {selection.organisationId !== undefined && (
          <ListPanel
            title="Projects"
            resource={projects}
            emptyText="No projects in this organisation yet."
            keyOf={(p) => String(p.id)}
            labelOf={(p) => p.name}
            selectedKey={selection.projectId?.toString()}
            onSelect={(p) => selectProject(p.id)}
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
            onSelect={(e) => selectEnvironment(e.api_key)}
          />
        )}
      </nav>
      <div className="content">
        {environment && environmentList ? (
          <EnvironmentWorkspace environment={environment} environments={environmentList} />
        ) : (
          <div className="empty-state">
            <p>{selection.projectId === undefined ? 'Choose a project to see its environments.' : 'Choose an environment to see its features.'}</p>
            <p className="muted">
              Press <kbd>Ctrl</kbd> <kbd>K</kbd> to jump anywhere.
            </p>
          </div>
        )}
      </div>
      {isPaletteOpen && (
        <ErrorBoundary feature="the command palette">
          <CommandPalette environment={environment} />
        </ErrorBoundary>
      )}
    </div>
  );
}
