import { useAppServices } from '../../app/app-services.js';
import type { ChangeRequest, Environment } from '../../data/api-client.js';
import { loadChangeRequests } from '../../data/change-requests.js';
import { describeError } from '../../ui/error-text.js';
import { formatDateTime } from '../../ui/format.js';
import { useReplicaOrRest } from '../../replica/use-replica-source.js';
import { changeRequests$ } from '../../replica/replica-queries.js';

/** A change request's status as a badge: open, scheduled, committed or needs rebase. */
export function StatusBadge({ changeRequest }: { changeRequest: ChangeRequest }) {
  switch (changeRequest.status) {
    case 'needs_rebase':
      return <span className="badge conflict">Needs rebase</span>;
    case 'committed':
      return <span className="badge live">Committed</span>;
    case 'scheduled':
      return <span className="badge scheduled">Scheduled</span>;
    default:
      return <span className="badge draft-badge">Open</span>;
  }
}

/** The environment's change requests, newest first, with status and approvals. Enter or click opens one. */
export function ChangeRequestList({ environment }: { environment: Environment }) {
  const { api, store } = useAppServices();
  const key = environment.use_v2_feature_versioning ? `change-requests:${environment.id}` : null;
  const list = useReplicaOrRest({ key, load: () => loadChangeRequests(api, environment) }, { key, query: (db) => changeRequests$(db, environment.id) });

  if (!environment.use_v2_feature_versioning) {
    return <p className="muted">Change requests need Feature Versioning: turn it on in this environment’s Settings.</p>;
  }
  if (list.status === 'failed') {
    return (
      <p role="alert" className="error">
        {describeError(list.error)}
      </p>
    );
  }
  const items = list.status === 'ready' ? list.data : list.stale;
  if (!items) return <p role="status">Loading the change requests…</p>;
  const required = environment.minimum_change_request_approvals ?? 0;
  return (
    <div className="change-requests">
      <p className="muted">
        {required > 0
          ? `Changes in ${environment.name} need ${required === 1 ? 'one approval' : `${required} approvals`}: use “Request change” on a feature’s draft.`
          : `${environment.name} does not require approvals; change requests are optional.`}
      </p>
      {items.length === 0 ? (
        <p className="muted">No change requests yet.</p>
      ) : (
        <table aria-label={`Change requests in ${environment.name}`} className="history">
          <thead>
            <tr>
              <th scope="col">Title</th>
              <th scope="col">Status</th>
              <th scope="col">Approvals</th>
              <th scope="col">Created</th>
            </tr>
          </thead>
          <tbody>
            {items.map((cr) => (
              <tr key={cr.id}>
                <th scope="row">
                  <button type="button" className="link" onClick={() => store.getState().openChangeRequest(cr.id)}>
                    #{cr.id} {cr.title}
                  </button>
                </th>
                <td>
                  <StatusBadge changeRequest={cr} />
                </td>
                <td>
                  {cr.current_approvals} of {cr.required_approvals ?? 0}
                </td>
                <td>{formatDateTime(cr.created_at)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </div>
  );
}
