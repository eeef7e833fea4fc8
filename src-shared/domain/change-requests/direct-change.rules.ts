import { EnvironmentPermission, type PermissionGrant } from '../permissions/permissions.js';

/*
 * Governance of an environment that requires change requests (issue 12 §2): what may change its live
 * flags directly. The server asks this at every entry point that would change what is served (versions
 * publish and restore, legacy feature-state and feature-segment writes, the experimental endpoints, sync
 * publish and schedule intents); committing an approved change request is the allowed path.
 */

/** Flagsmith's answer to a direct write on an environment with change requests enabled (spec §5.1, 403). */
export const DIRECT_CHANGE_REFUSED_MESSAGE = 'This endpoint cannot be used when change requests are enabled. Use the change request workflow instead.';

/** `details.reason` of that refusal, so clients can offer "create a change request" instead. */
export const DIRECT_CHANGE_REFUSED_REASON = 'CHANGE_REQUESTS_REQUIRED';

/**
 * `allowed`: the environment does not require change requests. `bypass`: it does, and the caller holds
 * BYPASS_CHANGE_REQUESTS explicitly (the write goes ahead and is audited as a bypass). `refused`: it does.
 */
export type DirectChangeDecision = 'allowed' | 'bypass' | 'refused';

/** Whether an environment's setting turns change requests on: any number, 0 included (null: off). */
export function requiresChangeRequests(minimumApprovals: number | null | undefined): boolean {
  return minimumApprovals !== null && minimumApprovals !== undefined;
}

/**
 * The bypass is never implied by an admin level (organisation, project or environment admin): it must be
 * listed in the caller's environment grant, so holding it is a deliberate, visible decision.
 */
export function holdsChangeRequestBypass(envGrant: PermissionGrant | undefined): boolean {
  return envGrant?.permissions.includes(EnvironmentPermission.BYPASS_CHANGE_REQUESTS) ?? false;
}

export function decideDirectChange(minimumApprovals: number | null | undefined, envGrant: PermissionGrant | undefined): DirectChangeDecision {
  if (!requiresChangeRequests(minimumApprovals)) return 'allowed';
  return holdsChangeRequestBypass(envGrant) ? 'bypass' : 'refused';
}
