import { ApiError } from '../data/api-client.js';

/** User-facing text per error code: the one table the screens use. */
const TEXT: Record<string, string> = {
  NETWORK: 'The Flagdesk server could not be reached. Check that it is running.',
  VALIDATION_FAILED: 'The server did not accept this input.',
  UNAUTHENTICATED: 'Your session has ended. Please sign in again.',
  PERMISSION_DENIED: 'You do not have permission to do this.',
  NOT_FOUND: 'This item no longer exists, or you cannot see it.',
  REVISION_CONFLICT: 'Someone else changed this at the same time. Reload and try again.',
  PRECONDITION_FAILED: 'This cannot be done in the current state.',
  LIMIT_EXCEEDED: 'Your plan’s limit for this has been reached.',
  RATE_LIMITED: 'Too many requests. Please wait a moment and try again.',
  PAYLOAD_TOO_LARGE: 'This is too large to save.',
  UNAVAILABLE: 'The server is temporarily unavailable. Please try again.',
};

/** Codes whose server message says what to fix, so it is shown after the general text. */
const WITH_DETAIL = new Set(['VALIDATION_FAILED', 'PRECONDITION_FAILED', 'LIMIT_EXCEEDED']);

/** An error raised by the dashboard itself whose message is written for the user (shown as it is). */
export class NoticeError extends Error {
  override name = 'NoticeError';
}

/** A sentence for the user. INTERNAL errors show their id, so support can find the server's log line. */
export function describeError(error: unknown): string {
  if (error instanceof ApiError) {
    if (error.code === 'INTERNAL') return `Something went wrong on the server${error.errorId ? ` (error id ${error.errorId})` : ''}.`;
    const text = TEXT[error.code];
    if (!text) return error.message;
    return WITH_DETAIL.has(error.code) && error.message && !error.message.startsWith('HTTP ') ? `${text} ${error.message}` : text;
  }
  if (error instanceof NoticeError) return error.message;
  return 'Something went wrong.';
}
