import type { FastifyError, FastifyInstance } from 'fastify';
import { AppError } from '../../../src-shared/errors/app-error.js';
import { ErrorCode } from '../../../src-shared/errors/error-codes.js';
import { generateUuid } from '../../platform/security/secrets.js';

/** The one place where error codes meet HTTP statuses. */
export const HTTP_STATUS: Record<ErrorCode, number> = {
  VALIDATION_FAILED: 400,
  UNAUTHENTICATED: 401,
  PERMISSION_DENIED: 403,
  NOT_FOUND: 404,
  REVISION_CONFLICT: 409,
  PRECONDITION_FAILED: 400,
  LIMIT_EXCEEDED: 400,
  RATE_LIMITED: 429,
  PAYLOAD_TOO_LARGE: 413,
  UNAVAILABLE: 503,
  INTERNAL: 500,
};

interface AjvIssue {
  instancePath?: string;
  message?: string;
  params?: { missingProperty?: string; additionalProperty?: string };
}

function issuesOf(error: FastifyError): { path: string; message: string }[] {
  const context = (error as FastifyError & { validationContext?: string }).validationContext ?? 'body';
  return (error.validation as AjvIssue[] | undefined ?? []).map((v) => {
    let path = v.instancePath ?? '';
    if (v.params?.missingProperty) path = `${path}/${v.params.missingProperty}`;
    return { path: `${context}${path || '/'}`, message: v.message ?? 'is invalid' };
  });
}

/** Maps every thrown error to the `{code, message, details?, id?}` wire shape. 5xx messages are never shown. */
export function installErrorHandler(app: FastifyInstance): void {
  app.setErrorHandler((error: FastifyError, request, reply) => {
    if (error instanceof AppError) {
      return reply.code(HTTP_STATUS[error.code]).send(error.toWire());
    }
    if (error.validation) {
      const issues = issuesOf(error);
      const message = issues.map((i) => `${i.path}: ${i.message}`).join('; ');
      return reply.code(400).send(new AppError(ErrorCode.VALIDATION_FAILED, message, { details: { issues } }).toWire());
    }
    if (error.code === 'FST_ERR_CTP_BODY_TOO_LARGE') {
      return reply.code(413).send(new AppError(ErrorCode.PAYLOAD_TOO_LARGE, 'Request body is too large.').toWire());
    }
    if (error.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE') {
      const sent = request.headers['content-type'];
      const message = `headers/content-type: ${sent === undefined ? 'is missing for a request with a body' : `${JSON.stringify(sent.slice(0, 100))} is not supported`}; send application/json.`;
      return reply.code(415).send(new AppError(ErrorCode.VALIDATION_FAILED, message, { details: { issues: [{ path: 'headers/content-type', message }] } }).toWire());
    }
    if (error.statusCode && error.statusCode >= 400 && error.statusCode < 500) {
      // Malformed JSON, empty JSON body and the like: the client's fault, named plainly.
      const message = error.code === 'FST_ERR_CTP_INVALID_JSON_BODY' || error instanceof SyntaxError ? `body: malformed JSON (${error.message})` : error.message;
      return reply.code(error.statusCode).send(new AppError(ErrorCode.VALIDATION_FAILED, message, { details: { issues: [{ path: 'body', message }] } }).toWire());
    }
    const id = generateUuid();
    request.log.error({ err: error, errorId: id }, 'unhandled error');
    return reply.code(500).send(new AppError(ErrorCode.INTERNAL, `Internal error; quote id ${id} to support.`, { id }).toWire());
  });
  app.setNotFoundHandler((request, reply) => {
    reply.code(404).send(new AppError(ErrorCode.NOT_FOUND, `No route ${request.method} ${request.url.split('?')[0]}.`).toWire());
  });
}
