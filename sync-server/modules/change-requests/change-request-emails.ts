import type { RenderedEmail } from '../email/email-templates.js';

function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] ?? c);
}

const subjectOf = (cr: { id: number; title: string }) => `Flagdesk change request: ${cr.title} (#${cr.id})`;

/** "You have been assigned to review a change request" (Flagsmith's assignee notification). */
export function assigneeEmail(input: { id: number; title: string; environmentName: string; authorName: string }): RenderedEmail {
  const text = [
    'Hi there,',
    '',
    `${input.authorName} has assigned you to review change request #${input.id} '${input.title}' in environment '${input.environmentName}'.`,
    '',
    'Thanks,',
    'Flagdesk',
  ].join('\n');
  const e = escapeHtml;
  const html = `<p>Hi there,</p>\n<p>${e(input.authorName)} has assigned you to review change request #${input.id} <strong>${e(input.title)}</strong> in environment <strong>${e(input.environmentName)}</strong>.</p>\n<p>Thanks,<br>Flagdesk</p>`;
  return { subject: subjectOf(input), text, html };
}

/** "Your change request has been approved" (Flagsmith's author notification). */
export function approvedEmail(input: { id: number; title: string; approverName: string }): RenderedEmail {
  const text = ['Hi there,', '', `${input.approverName} has approved your change request #${input.id} '${input.title}'.`, '', 'Thanks,', 'Flagdesk'].join('\n');
  const html = `<p>Hi there,</p>\n<p>${escapeHtml(input.approverName)} has approved your change request #${input.id} <strong>${escapeHtml(input.title)}</strong>.</p>\n<p>Thanks,<br>Flagdesk</p>`;
  return { subject: subjectOf(input), text, html };
}
