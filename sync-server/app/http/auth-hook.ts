import type { FastifyInstance } from 'fastify';
import { sdkRoutes } from '../../../src-shared/contracts/http/sdk.contract.js';
import { AppError } from '../../../src-shared/errors/app-error.js';
import { ErrorCode } from '../../../src-shared/errors/error-codes.js';
import type { AuthService } from '../../modules/auth/auth.service.js';

/**
 * The SDK module's routes check the caller's key on every request themselves, against the environment's
 * keys read in the same query as the document revision (`SdkClient.key`); for them the hook only needs
 * to know what the key names, which the auth service remembers. That saves a hash and a lookup per SDK
 * poll. Any other route taking an environment key gets it checked here.
 */
const KEY_CHECKED_BY_SDK_MODULE = new Set<string>(Object.keys(sdkRoutes));

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
      const operationId = request.routeOptions.config?.operationId;
      const caller = operationId !== undefined && KEY_CHECKED_BY_SDK_MODULE.has(operationId) ? await auth.recallEnvironmentKey(key) : await auth.resolveEnvironmentKey(key);
      if (!caller) throw new AppError(ErrorCode.UNAUTHENTICATED, 'Invalid X-Environment-Key.');
      if (kind === 'sdk-server' && !caller.isServerKey) throw new AppError(ErrorCode.PERMISSION_DENIED, 'This endpoint needs a server-side environment key.');
      request.sdkCaller = caller;
    }
  });
  // A remembered key the SDK module refused (deleted, deactivated, expired, environment gone) is
  // forgotten, so the next request with it looks it up again instead of trusting memory.
  app.addHook('onResponse', async (request, reply) => {
    const key = request.headers['x-environment-key'];
    if (request.sdkCaller && reply.statusCode === 401 && typeof key === 'string') auth.forgetEnvironmentKey(key);
  });
}
