import { Type, type Static } from '@sinclair/typebox';
import { ErrorCode } from './error-codes.js';

/** One problem with the input, located by a JSON-pointer-like path (`/feature_state_value`, `/rules/0/type`). */
export const ValidationIssueSchema = Type.Object(
  {
    path: Type.String({ description: 'Location of the offending field, e.g. `/name` or `query/page`.' }),
    message: Type.String({ description: 'What is wrong with it.' }),
  },
  { $id: 'ValidationIssue' },
);
export type ValidationIssue = Static<typeof ValidationIssueSchema>;

/** The wire shape of every error Flagdesk returns. */
export const AppErrorWireSchema = Type.Object(
  {
    code: Type.Union(
      Object.values(ErrorCode).map((c) => Type.Literal(c)),
      { description: 'One of the closed set of error codes.' },
    ),
    message: Type.String({ description: 'Developer-facing explanation; not localised.' }),
    details: Type.Optional(Type.Record(Type.String(), Type.Unknown(), { description: 'Structured context, e.g. `issues` or `limit`.' })),
    id: Type.Optional(Type.String({ description: 'Error id for INTERNAL errors, as logged by the server.' })),
    detail: Type.Optional(Type.String({ description: 'Flagsmith/DRF-compatible copy of `message`, so existing scripts that read `detail` keep working.' })),
  },
  { $id: 'AppError', additionalProperties: true },
);
export type AppErrorWire = Static<typeof AppErrorWireSchema>;

/** The one error class of expected failures. Anything else thrown is a bug and becomes INTERNAL. */
export class AppError extends Error {
  readonly code: ErrorCode;
  readonly details: Record<string, unknown> | undefined;
  readonly id: string | undefined;

  constructor(code: ErrorCode, message: string, options: { details?: Record<string, unknown>; cause?: unknown; id?: string } = {}) {
    super(message, { cause: options.cause });
    this.name = 'AppError';
    this.code = code;
    this.details = options.details;
    this.id = options.id;
  }

  toWire(): AppErrorWire {
    return {
      code: this.code,
      message: this.message,
      detail: this.message,
      ...(this.details ? { details: this.details } : {}),
      ...(this.id ? { id: this.id } : {}),
    };
  }
}

export function notFound(what: string): AppError {
  return new AppError(ErrorCode.NOT_FOUND, `${what} not found.`);
}

export function validationFailed(path: string, message: string): AppError {
  return new AppError(ErrorCode.VALIDATION_FAILED, `${path}: ${message}`, { details: { issues: [{ path, message }] } });
}

export function permissionDenied(message = 'You do not have permission to perform this action.'): AppError {
  return new AppError(ErrorCode.PERMISSION_DENIED, message);
}

export function preconditionFailed(message: string, details?: Record<string, unknown>): AppError {
  return new AppError(ErrorCode.PRECONDITION_FAILED, message, details ? { details } : {});
}

/** Asserts an invariant; a failure is a bug, not an expected error. */
export function assert(condition: unknown, message: string): asserts condition {
  if (!condition) throw new Error(`Invariant violated: ${message}`);
}
