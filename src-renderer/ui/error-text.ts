import { ApiError } from '../data/api-client.js';

/** User-facing text per error code: the one table the screens use. */
const TEXT: Record<string, string> = {
  NETWORK: 'The Flagdesk server could not be reached. Check that it is running.',
  VALIDATION_FAILED: 'Please check the highlighted fields.',
  UNAUTHENTICATED: 'Your session has ended. Please sign in again.',
  PERMISSION_DENIED: 'You do not have permission to do this.',
  NOT_FOUND: 'This item no longer exists, or you cannot see it.',
  RATE_LIMITED: 'Too many requests. Please wait a moment and try again.',
  UNAVAILABLE: 'The server is temporarily unavailable. Please try again.',
};

/** A sentence for the user. INTERNAL errors show their id, so support can find the server's log line. */
export function describeError(error: unknown): string {
  if (error instanceof ApiError) {
    if (error.code === 'INTERNAL') return `Something went wrong on the server${error.errorId ? ` (error id ${error.errorId})` : ''}.`;
    return TEXT[error.code] ?? error.message;
  }
  return 'Something went wrong.';
}
