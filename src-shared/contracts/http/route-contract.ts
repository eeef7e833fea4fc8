import { Type, type TSchema, type Static } from '@sinclair/typebox';
import type { ErrorCode } from '../../errors/error-codes.js';

/**
 * How a route authenticates:
 * - `none`: public (login, health);
 * - `admin`: Admin API; `Authorization: Token <key>` (a user) or `Authorization: Api-Key <key>` (an organisation API key);
 * - `sdk`: `X-Environment-Key` with the environment's client-side key or a server-side key;
 * - `sdk-server`: `X-Environment-Key` with a server-side key only (`ser.…`).
 */
export type RouteAuth = 'none' | 'admin' | 'sdk' | 'sdk-server';

/** One HTTP route of the API as data: the server registers it, tests call it by operationId, OpenAPI documents it. */
export interface RouteContract {
  method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  /** Fastify path with `:param` segments, always with a trailing slash under /api/v1/ as Flagsmith has it. */
  url: string;
  summary: string;
  tag: string;
  auth: RouteAuth;
  params?: TSchema;
  querystring?: TSchema;
  body?: TSchema;
  /** Status of a successful answer. */
  successStatus: 200 | 201 | 202 | 204;
  /** Schema of a successful answer's body (ignored for 204). */
  response: TSchema;
  /** Other success statuses the route may answer with the same body schema (e.g. 202 for work still running). */
  otherSuccessStatuses?: readonly (200 | 201 | 202)[];
  /** Expected error codes besides VALIDATION_FAILED / UNAUTHENTICATED, documented next to the route. */
  errors: readonly ErrorCode[];
}

export type RouteTable = Record<string, RouteContract>;

/** Declares a set of routes keyed by operationId (camelCase, e.g. `createWebhook`). */
export function defineRoutes<const T extends RouteTable>(routes: T): T {
  return routes;
}

export type ParamsOf<C extends RouteContract> = C['params'] extends TSchema ? Static<C['params']> : Record<string, never>;
export type QueryOf<C extends RouteContract> = C['querystring'] extends TSchema ? Static<C['querystring']> : Record<string, never>;
export type BodyOf<C extends RouteContract> = C['body'] extends TSchema ? Static<C['body']> : undefined;
export type ResponseOf<C extends RouteContract> = C['successStatus'] extends 204 ? void : Static<C['response']>;

/** `{count, next, previous, results}`, the pagination envelope of Flagsmith's list endpoints. */
export function Paginated<T extends TSchema>(item: T) {
  return Type.Object({
    count: Type.Integer({ description: 'Total number of items across all pages.' }),
    next: Type.Union([Type.String(), Type.Null()], { description: 'URL of the next page, or null.' }),
    previous: Type.Union([Type.String(), Type.Null()], { description: 'URL of the previous page, or null.' }),
    results: Type.Array(item),
  });
}

/** Longest path parameter (id, key, uuid) the server's router matches; a longer one answers 404, never 414. */
export const MAX_PATH_PARAM_LENGTH = 100;

/** Highest page number a list takes; beyond it a query is 400 (1,000,000 pages of the largest size keep offsets in 32 bits). */
export const MAX_PAGE = 1_000_000;

export const PageQuery = {
  page: Type.Optional(Type.Integer({ minimum: 1, maximum: MAX_PAGE, description: `Page number, from 1 to ${MAX_PAGE}.` })),
  page_size: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000, description: 'Items per page (default 100, at most 1000).' })),
};

/** A numeric id in a path (`/projects/:id/`). */
export const IdParam = Type.Integer({ minimum: 1, maximum: 2147483647 });
export const NoContent = Type.Null();
/** An ISO-8601 UTC timestamp. */
export const Timestamp = Type.String({ format: 'date-time' });
/**
 * `T` or null. Null comes first on purpose: Fastify's Ajv runs with `coerceTypes`, and in an `anyOf` it
 * coerces into the first branch that accepts the value, so `[string, null]` turned a JSON `null` into
 * `""` (and `[integer, null]` into 0, `[boolean, null]` into false) before the null branch was tried.
 */
export const Nullable = <T extends TSchema>(t: T) => Type.Union([Type.Null(), t]);
