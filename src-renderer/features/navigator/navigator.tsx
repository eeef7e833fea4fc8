import { useEffect, useId } from 'react';
import { useAppServices } from '../../app/app-services.js';
import type { Environment } from '../../data/api-client.js';
import { useResource } from '../../ui/use-resource.js';
import { ListPanel } from './list-panel.js';
import { FeatureList } from '../feature-list/feature-list.js';

/** Organisations → projects → environments, each column loaded when its parent is chosen. */
export function Navigator() {
  const { api, store } = useAppServices();
  const selection = store((s) => s.selection);
  const { selectOrganisation, selectProject, selectEnvironment } = store.getState();

  const organisations = useResource('organisations', () => api.listOrganisations());
  const projects = useResource(selection.organisationId ? `projects:${selection.organisationId}` : null, () => api.listProjects(selection.organisationId!));
  const environments = useResource(selection.projectId ? `environments:${selection.projectId}` : null, () => api.listEnvironments(selection.projectId!));

  // With a single organisation there is nothing to choose: open it.
  const only = organisations.status === 'ready' && organisations.data.length === 1 ? organisations.data[0] : undefined;
  useEffect(() => {
    if (only && selection.organisationId === undefined) selectOrganisation(only.id);
  }, [only, selection.organisationId, selectOrganisation]);

  const environment = environments.status === 'ready' ? environments.data.find((e) => e.api_key === selection.environmentKey) : undefined;

  return (
    <div className="navigator">
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
      {environment && <EnvironmentDetails environment={environment} />}
      {environment && <FeatureList key={environment.id} environment={environment} />}
    </div>
  );
}

function EnvironmentDetails({ environment }: { environment: Environment }) {
  const id = useId();
  return (
    <section className="panel details" aria-labelledby={id}>
      <h2 id={id}>Environment: {environment.name}</h2>
      <dl>
        <dt>Client-side SDK key</dt>
        <dd>
          <code>{environment.api_key}</code>
        </dd>
        <dt>Feature versioning</dt>
        <dd>{environment.use_v2_feature_versioning ? 'Versioned (v2)' : 'Not versioned (v1)'}</dd>
        <dt>Change requests</dt>
        <dd>{environment.minimum_change_request_approvals === null ? 'Off' : `${environment.minimum_change_request_approvals} approval(s) needed`}</dd>
        {environment.description && (
          <>
            <dt>Description</dt>
            <dd>{environment.description}</dd>
          </>
        )}
      </dl>
    </section>
  );
}
