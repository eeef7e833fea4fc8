import type { ChangeRequest, ChangeRequestDiff, OrganisationUser } from '../../data/api-client.js';
import { userName } from '../../data/change-requests.js';
import { formatDateTime } from '../../ui/format.js';

interface Props {
  changeRequest: ChangeRequest;
  diff: ChangeRequestDiff;
  users: OrganisationUser[];
  featureName(featureId: number): string;
}

/**
 * Who approved, and whether each approval still counts: an approval binds to the content it saw; when
 * the change or what is live moved since, it is stale and lists what changed between the approved
 * content and the content to publish now.
 */
export function Approvals({ changeRequest, diff, users, featureName }: Props) {
  const given = diff.approvals;
  const assignees = changeRequest.approvals.filter((a) => a.approved_at === null);
  return (
    <section className="panel approvals" aria-label="Approvals">
      <h3>
        Approvals{' '}
        <span className={`badge ${changeRequest.is_approved ? 'live' : 'draft-badge'}`}>
          {changeRequest.current_approvals} of {changeRequest.required_approvals ?? 0} required
        </span>
      </h3>
      {given.length === 0 && <p className="muted">No approvals yet.</p>}
      <ul className="approval-list" aria-label="Approvals given">
        {given.map((a) => (
          <li key={a.user} className={a.is_stale ? 'stale' : undefined}>
            <strong>{userName(users, a.user)}</strong> approved {formatDateTime(a.approved_at)}{' '}
            {a.is_stale ? <span className="badge conflict">Stale</span> : <span className="badge live">Current</span>}
            {a.is_stale && (
              <div className="since-approval">
                <p className="muted">Approved content vs content to publish:</p>
                {a.changes_since_approval.every((f) => f.changes.length === 0) ? (
                  <p className="muted">The content is the same, but what is live moved under it.</p>
                ) : (
                  <ul aria-label={`Changes since ${userName(users, a.user)} approved`}>
                    {a.changes_since_approval.flatMap((f) =>
                      f.changes.map((c, i) => (
                        <li key={`${f.feature}:${i}`}>
                          {featureName(f.feature)}: {c.sentence}
                        </li>
                      )),
                    )}
                  </ul>
                )}
              </div>
            )}
          </li>
        ))}
      </ul>
      {assignees.length > 0 && <p className="muted">Waiting for: {assignees.map((a) => userName(users, a.user)).join(', ')}</p>}
    </section>
  );
}
