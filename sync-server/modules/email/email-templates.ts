/** A rendered email: subject, plain text and HTML. */
export interface RenderedEmail {
  subject: string;
  text: string;
  html: string;
}

function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] ?? c);
}

export interface ScheduledChangeConflictInput {
  /** First name of the recipient; "there" when unknown (as Flagsmith's template). */
  recipientName?: string | null;
  featureName: string;
  environmentName: string;
  /** ISO-8601 time the change was scheduled to go live. */
  scheduledAt: string;
  /** The live version the scheduled change conflicts with. */
  conflictingVersionUuid: string;
  /** The scheduled version that was not published. */
  scheduledVersionUuid?: string | null;
  changeRequestTitle?: string | null;
}

/**
 * "Your scheduled change was not published because of a conflict" (spec: Change requests; D8). Sent to
 * the change's author and the change request's assignees by the scheduler (issue 3/5).
 */
export function scheduledChangeConflictEmail(input: ScheduledChangeConflictInput): RenderedEmail {
  const name = input.recipientName?.trim() || 'there';
  const where = `feature '${input.featureName}' in environment '${input.environmentName}'`;
  const cr = input.changeRequestTitle ? ` as part of change request '${input.changeRequestTitle}'` : '';
  const subject = `Scheduled change to '${input.featureName}' (${input.environmentName}) was not published`;
  const lines = [
    `Hi ${name},`,
    '',
    `Your change to ${where}${cr}, scheduled for ${input.scheduledAt}, was not published`,
    'because it conflicts with a more recent change.',
    '',
    `Conflicting version: ${input.conflictingVersionUuid}`,
    ...(input.scheduledVersionUuid ? [`Your scheduled version: ${input.scheduledVersionUuid}`] : []),
    '',
    'Please review the change, resolve the conflict and schedule or publish it again.',
    '',
    'Thanks,',
    'Flagdesk',
  ];
  const e = escapeHtml;
  const html = [
    `<p>Hi ${e(name)},</p>`,
    `<p>Your change to feature <strong>${e(input.featureName)}</strong> in environment <strong>${e(input.environmentName)}</strong>${input.changeRequestTitle ? ` as part of change request <strong>${e(input.changeRequestTitle)}</strong>` : ''}, scheduled for <time datetime="${e(input.scheduledAt)}">${e(input.scheduledAt)}</time>, was not published because it conflicts with a more recent change.</p>`,
    `<p>Conflicting version: <code>${e(input.conflictingVersionUuid)}</code>${input.scheduledVersionUuid ? `<br>Your scheduled version: <code>${e(input.scheduledVersionUuid)}</code>` : ''}</p>`,
    '<p>Please review the change, resolve the conflict and schedule or publish it again.</p>',
    '<p>Thanks,<br>Flagdesk</p>',
  ].join('\n');
  return { subject, text: lines.join('\n'), html };
}
