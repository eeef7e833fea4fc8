import type { FastifyInstance } from 'fastify';
import { AppError } from '../../../src-shared/errors/app-error.js';
import { ErrorCode } from '../../../src-shared/errors/error-codes.js';
import type { AuthService } from '../../modules/auth/auth.service.js';

/**
 * Resolves credentials before any handler runs. Routes declare their auth kind in the contract;
 * `admin` routes without a principal are refused in `route()`, SDK routes here.
 */
export function installAuthHook(app: FastifyInstance, auth: AuthService): void {
  app.decorateRequest('principal', null);
  app.decorateRequest('sdkCaller', null);
  app.addHook('onRequest', async (request) => {
    const kind = request.routeOptions.config?.auth;
    if (kind === 'admin') {
      const header = request.headers.authorization;
      if (!header) throw new AppError(ErrorCode.UNAUTHENTICATED, 'Authentication credentials were not provided.');
      const principal = await auth.resolveAuthorization(header);
      if (!principal) throw new AppError(ErrorCode.UNAUTHENTICATED, 'Invalid token or API key.');
      request.principal = principal;
    } else if (kind === 'sdk' || kind === 'sdk-server') {
      const key = request.headers['x-environment-key'];
      if (typeof key !== 'string' || key === '') throw new AppError(ErrorCode.UNAUTHENTICATED, 'X-Environment-Key header is required.');
      const caller = await auth.resolveEnvironmentKey(key);
      if (!caller) throw new AppError(ErrorCode.UNAUTHENTICATED, 'Invalid X-Environment-Key.');
      if (kind === 'sdk-server' && !caller.isServerKey) throw new AppError(ErrorCode.PERMISSION_DENIED, 'This endpoint needs a server-side environment key.');
      request.sdkCaller = caller;
    }
  });
}
