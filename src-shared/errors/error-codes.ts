/**
 * The closed set of error codes every Flagdesk boundary (HTTP, IPC, sync) speaks.
 * Finer distinctions travel in `AppError.details.reason`; the HTTP status of each code is mapped once,
 * in the server's error plugin.
 */
export const ErrorCode = {
  /** Input failed schema or rule validation; `details.issues` names the fields. */
  VALIDATION_FAILED: 'VALIDATION_FAILED',
  /** Missing credentials, or credentials that match nothing. */
  UNAUTHENTICATED: 'UNAUTHENTICATED',
  /** The caller can see the object but may not do this to it. */
  PERMISSION_DENIED: 'PERMISSION_DENIED',
  /** No such object, or one the caller may not see (tenants are isolated by answering 404). */
  NOT_FOUND: 'NOT_FOUND',
  /** A write raced another write to the same object. */
  REVISION_CONFLICT: 'REVISION_CONFLICT',
  /** The object is not in a state that allows this command (e.g. editing a published version). */
  PRECONDITION_FAILED: 'PRECONDITION_FAILED',
  /** A plan limit would be exceeded; `details.limit` names it. */
  LIMIT_EXCEEDED: 'LIMIT_EXCEEDED',
  RATE_LIMITED: 'RATE_LIMITED',
  PAYLOAD_TOO_LARGE: 'PAYLOAD_TOO_LARGE',
  UNAVAILABLE: 'UNAVAILABLE',
  /** A bug: a broken invariant. Carries an error id that appears in the server log. */
  INTERNAL: 'INTERNAL',
} as const;

export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];
