import { AppError } from '../../../src-shared/errors/app-error.js';
import { ErrorCode } from '../../../src-shared/errors/error-codes.js';
import { DIRECT_CHANGE_REFUSED_MESSAGE, DIRECT_CHANGE_REFUSED_REASON } from '../../../src-shared/domain/change-requests/direct-change.rules.js';
import type { DbExecutor } from '../../platform/database/database.js';
import { AuditObjectType, type AuditService } from '../audit/audit.service.js';
import type { AccessService } from './access.service.js';
import type { EnvironmentScope } from './access.store.js';
import type { Principal } from './principal.js';

/** The 403 of a direct change on an environment that requires change requests (Flagsmith's text). */
export function changeRequestsRequired(): AppError {
  return new AppError(ErrorCode.PERMISSION_DENIED, DIRECT_CHANGE_REFUSED_MESSAGE, { details: { reason: DIRECT_CHANGE_REFUSED_REASON } });
}

/**
 * The one guard every direct write to an environment's live flags calls, inside its transaction (issue 12
 * §2): refuses it (403) when the environment requires change requests, unless the caller holds
 * BYPASS_CHANGE_REQUESTS, in which case the bypass gets its own audit entry in the same transaction.
 * `what` names the change for that entry, e.g. `publish of version <uuid> of feature 'x'`.
 * Committing a change request does not come through here.
 */
export async function assertDirectChange(
  deps: { access: Pick<AccessService, 'directChange'>; audit: Pick<AuditService, 'record'> },
  trx: DbExecutor,
  p: Principal,
  scope: EnvironmentScope,
  what: string,
): Promise<void> {
  const decision = await deps.access.directChange(p, scope.environmentId, trx);
  if (decision === 'allowed') return;
  if (decision === 'refused') throw changeRequestsRequired();
  await deps.audit.record(trx, p, {
    organisationId: scope.organisationId,
    projectId: scope.projectId,
    environmentId: scope.environmentId,
    log: `Change request requirement bypassed: ${what}`,
    relatedObjectType: AuditObjectType.ENVIRONMENT,
    relatedObjectId: scope.environmentId,
  });
}
