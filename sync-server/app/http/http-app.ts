import type { FastifyBaseLogger, FastifyInstance, FastifyReply, FastifyRequest, RawReplyDefaultExpression, RawRequestDefaultExpression, RawServerDefault } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { BodyOf, ParamsOf, QueryOf, ResponseOf, RouteContract } from '../../../src-shared/contracts/http/route-contract.js';
import { AppErrorWireSchema } from '../../../src-shared/errors/app-error.js';
import { errorStatusesOf, HTTP_ERROR_RESPONSES } from '../../../src-shared/contracts/http/error-responses.js';
import type { Principal } from '../../modules/access/principal.js';
import { unauthenticated } from '../../modules/access/access.service.js';

export type HttpApp = FastifyInstance<RawServerDefault, RawRequestDefaultExpression, RawReplyDefaultExpression, FastifyBaseLogger, TypeBoxTypeProvider>;

/** The SDK caller: an environment, by its client-side or server-side key. */
export interface SdkCaller {
  environmentId: number;
  environmentApiKey: string;
  isServerKey: boolean;
}

declare module 'fastify' {
  interface FastifyRequest {
    /** Set by the auth hook for `admin` routes. */
    principal: Principal | null;
    /** Set by the auth hook for `sdk` routes. */
    sdkCaller: SdkCaller | null;
  }
  interface FastifyContextConfig {
    auth?: RouteContract['auth'];
    operationId?: string;
  }
}

export interface HandlerInput<C extends RouteContract> {
  params: ParamsOf<C>;
  query: QueryOf<C>;
  body: BodyOf<C>;
  request: FastifyRequest;
  reply: FastifyReply;
}
export interface AdminHandlerInput<C extends RouteContract> extends HandlerInput<C> {
  principal: Principal;
}

type Handler<C extends RouteContract> = C['auth'] extends 'admin'
  ? (input: AdminHandlerInput<C>) => Promise<ResponseOf<C>>
  : (input: HandlerInput<C>) => Promise<ResponseOf<C>>;

/** The error body without its `$id`, so each route's error answers can carry their own description. */
const { $id: _errorId, ...ErrorResponseSchema } = AppErrorWireSchema;

/**
 * Registers one route from its contract. The contract gives the schemas (validated by Fastify,
 * documented in OpenAPI); the handler maps HTTP to a service call and returns the success body.
 * A handler that already sent a reply (e.g. 304 Not Modified) returns nothing.
 */
export function route<C extends RouteContract>(app: HttpApp, operationId: string, contract: C, handler: Handler<C>): void {
  const errorResponses = Object.fromEntries(errorStatusesOf(contract).map((s) => [s, { ...ErrorResponseSchema, description: HTTP_ERROR_RESPONSES[s] }]));
  app.route({
    method: contract.method,
    url: contract.url,
    config: { auth: contract.auth, operationId },
    schema: {
      operationId,
      summary: contract.summary,
      tags: [contract.tag],
      ...(contract.auth === 'admin' ? { security: [{ Token: [] }, { ApiKey: [] }] } : {}),
      ...(contract.auth === 'sdk' || contract.auth === 'sdk-server' ? { security: [{ EnvironmentKey: [] }] } : {}),
      ...(contract.params ? { params: contract.params } : {}),
      ...(contract.querystring ? { querystring: contract.querystring } : {}),
      ...(contract.body ? { body: contract.body } : {}),
      response: {
        [contract.successStatus]: contract.successStatus === 204 ? { type: 'null', description: 'No content' } : contract.response,
        ...Object.fromEntries((contract.otherSuccessStatuses ?? []).map((s) => [s, contract.response])),
        ...errorResponses,
      },
    },
    handler: async (request, reply) => {
      const input = {
        params: request.params,
        query: request.query,
        body: request.body,
        request,
        reply,
        principal: request.principal,
      };
      if (contract.auth === 'admin' && !request.principal) throw unauthenticated();
      const result = await (handler as (i: typeof input) => Promise<unknown>)(input);
      if (reply.sent) return reply;
      reply.code(contract.successStatus);
      return contract.successStatus === 204 ? reply.send() : result;
    },
  });
}

/** Builds the Flagsmith pagination envelope with absolute next/previous links. */
export function paginate<T>(request: FastifyRequest, total: number, results: T[], page: number, pageSize: number) {
  const link = (p: number) => {
    const url = new URL(request.url, `${request.protocol}://${request.host}`);
    url.searchParams.set('page', String(p));
    url.searchParams.set('page_size', String(pageSize));
    return url.toString();
  };
  return {
    count: total,
    next: page * pageSize < total ? link(page + 1) : null,
    previous: page > 1 ? link(page - 1) : null,
    results,
  };
}

/** Page and size from a query with PageQuery fields. */
export function pageOf(query: { page?: number; page_size?: number }): { page: number; pageSize: number; offset: number } {
  const page = query.page ?? 1;
  const pageSize = query.page_size ?? 100;
  return { page, pageSize, offset: (page - 1) * pageSize };
}
