import { useId, useState } from 'react';
import { useAppServices } from '../../app/app-services.js';
import type { Environment } from '../../data/api-client.js';
import { AUDIT_PAGE_SIZE, loadAuditLog, type AuditFilter } from '../../data/project-data.js';
import { describeError } from '../../ui/error-text.js';
import { formatDateTime } from '../../ui/format.js';
import { useResource } from '../../ui/use-resource.js';

interface Props {
  /** The environment chosen in the navigator: the log starts filtered to it. */
  environment: Environment;
  /** The project's environments, for the filter. */
  environments: Environment[];
}

/** The project's audit log, newest first: search, environment and source filters, pages of 20. */
export function AuditLog({ environment, environments }: Props) {
  const { api } = useAppServices();
  const id = useId();
  const [filter, setFilter] = useState<AuditFilter>({ search: '', environmentId: environment.id, source: 'all', page: 1 });
  const entries = useResource(`audit:${environment.project}:${JSON.stringify(filter)}`, () => loadAuditLog(api, environment.project, filter));
  const data = entries.status === 'ready' ? entries.data : entries.status === 'loading' ? entries.stale : undefined;
  const pages = data ? Math.max(1, Math.ceil(data.count / AUDIT_PAGE_SIZE)) : 1;
  const change = (next: Partial<AuditFilter>) => setFilter((f) => ({ ...f, page: 1, ...next }));

  return (
    <section className="panel audit" aria-labelledby={`${id}-title`}>
      <h2 id={`${id}-title`}>Audit log</h2>
      <div className="filters">
        <div>
          <label htmlFor={`${id}-search`}>Search the audit log</label>
          <input id={`${id}-search`} type="search" value={filter.search} onChange={(e) => change({ search: e.target.value })} autoComplete="off" />
        </div>
        <div>
          <label htmlFor={`${id}-env`}>Environment</label>
          <select id={`${id}-env`} value={filter.environmentId ?? ''} onChange={(e) => change({ environmentId: e.target.value === '' ? null : Number(e.target.value) })}>
            <option value="">All environments and the project</option>
            {environments.map((e) => (
              <option key={e.id} value={e.id}>
                {e.name}
              </option>
            ))}
          </select>
        </div>
        <div>
          <label htmlFor={`${id}-source`}>Made by</label>
          <select id={`${id}-source`} value={filter.source} onChange={(e) => change({ source: e.target.value as AuditFilter['source'] })}>
            <option value="all">Anyone</option>
            <option value="users">People and API keys</option>
            <option value="system">The system (scheduled changes…)</option>
          </select>
        </div>
      </div>
      {entries.status === 'failed' && (
        <p role="alert" className="error">
          {describeError(entries.error)}
        </p>
      )}
      {data === undefined && entries.status === 'loading' && <p role="status">Loading…</p>}
      {data && data.results.length === 0 && <p className="muted">No entries match.</p>}
      {data && data.results.length > 0 && (
        <table aria-label="Audit log entries" aria-busy={entries.status === 'loading'}>
          <thead>
            <tr>
              <th scope="col">When</th>
              <th scope="col">What</th>
              <th scope="col">Who</th>
              <th scope="col">Environment</th>
            </tr>
          </thead>
          <tbody>
            {data.results.map((entry) => (
              <tr key={entry.id}>
                <td className="nowrap">{formatDateTime(entry.created_date)}</td>
                <th scope="row">
                  {entry.log} <span className="badge subtle">{entry.related_object_type}</span>
                </th>
                <td>{entry.author?.email ?? (entry.is_system_event ? 'System' : 'API key')}</td>
                <td>{entry.environment?.name ?? '—'}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <nav className="pager" aria-label="Audit log pages">
        <button type="button" disabled={filter.page <= 1} onClick={() => setFilter((f) => ({ ...f, page: f.page - 1 }))}>
          Previous page
        </button>
        <span>
          Page {filter.page} of {pages}
          {data ? ` · ${data.count} entries` : ''}
        </span>
        <button type="button" disabled={filter.page >= pages} onClick={() => setFilter((f) => ({ ...f, page: f.page + 1 }))}>
          Next page
        </button>
      </nav>
    </section>
  );
}
