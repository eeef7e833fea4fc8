import type { FastifyReply, FastifyRequest } from 'fastify';
import { sdkRoutes } from '../../../src-shared/contracts/http/sdk.contract.js';
import { AppError } from '../../../src-shared/errors/app-error.js';
import { ErrorCode } from '../../../src-shared/errors/error-codes.js';
import { route, type HttpApp } from '../../app/http/http-app.js';
import { hashToken } from '../../platform/security/secrets.js';
import type { SdkClient, SdkService } from './sdk.service.js';

function clientOf(request: FastifyRequest): SdkClient {
  const caller = request.sdkCaller;
  const key = request.headers['x-environment-key'];
  if (!caller || typeof key !== 'string') throw new AppError(ErrorCode.UNAUTHENTICATED, 'X-Environment-Key header is required.');
  // The service checks the key on every call (the auth hook may have resolved it from memory).
  return { environmentId: caller.environmentId, isServerKey: caller.isServerKey, key: caller.isServerKey ? { serverKeyHash: hashToken(key) } : { clientKey: key } };
}

/** Sends JSON that is already serialised and encoded (cached per document revision) as is. */
async function sendJson(reply: FastifyReply, body: Buffer): Promise<never> {
  await reply.code(200).header('content-type', 'application/json; charset=utf-8').send(body);
  return undefined as never;
}

/**
 * Sends the document itself: the cached JSON goes out as is (no re-serialisation of a large object on
 * every poll), and a matching If-None-Match gets 304 with no body.
 */
async function sendDocument(reply: FastifyReply, sdk: SdkService, client: SdkClient, ifNoneMatch: string | undefined): Promise<never> {
  const doc = await sdk.environmentDocument(client, ifNoneMatch);
  // Caches may keep it but must ask again each time: the ETag makes that cheap.
  reply.header('etag', doc.etag).header('cache-control', 'no-cache');
  if (!doc.isModified) await reply.code(304).send();
  else await sendJson(reply, doc.body);
  return undefined as never;
}

export function registerSdkRoutes(app: HttpApp, sdk: SdkService): void {
  const r = sdkRoutes;
  route(app, 'getSdkFlags', r.getSdkFlags, async ({ request, reply, query }) => {
    const client = clientOf(request);
    return query.feature === undefined ? sendJson(reply, await sdk.environmentFlagsBody(client)) : sdk.environmentFlags(client, query.feature);
  });
  route(app, 'getSdkIdentity', r.getSdkIdentity, async ({ request, reply, query }) => sendJson(reply, await sdk.identityFlagsBody(clientOf(request), query.identifier)));
  route(app, 'identifySdkIdentity', r.identifySdkIdentity, async ({ request, reply, body }) => sendJson(reply, await sdk.identifyBody(clientOf(request), body)));
  route(app, 'getEnvironmentDocument', r.getEnvironmentDocument, ({ request, reply }) => {
    const header = request.headers['if-none-match'];
    return sendDocument(reply, sdk, clientOf(request), Array.isArray(header) ? header.join(',') : header);
  });
}
