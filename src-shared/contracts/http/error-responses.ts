import { MAX_PAGE, MAX_PATH_PARAM_LENGTH, type RouteContract } from './route-contract.js';

/**
 * The error answers every route may give, by HTTP status, as the OpenAPI document describes them next to
 * each route's own schema (Fastify's `Errors.md` idea: one place that says when each status happens).
 * Bodies are always `{code, message, details?, id?, detail}`; `details.issues` lists `{path, message}`
 * with paths such as `body/name`, `params/api_key`, `querystring/page` or `headers/content-type`.
 */
export const HTTP_ERROR_RESPONSES = {
  400: [
    'VALIDATION_FAILED (or PRECONDITION_FAILED, LIMIT_EXCEEDED where the route says so), naming the field in `details.issues`.',
    'Among the causes: malformed JSON; a body that is not the JSON type the route takes (an object where an object is expected);',
    'a required body left out; a NUL character (`\\u0000`) in any string of the path, query or body, keys included;',
    `a number beyond its documented bound (e.g. \`page\` above ${MAX_PAGE}); a string or list beyond its documented length.`,
  ].join(' '),
  401: 'UNAUTHENTICATED: credentials missing or matching nothing.',
  403: 'PERMISSION_DENIED: the caller can see the object but may not do this.',
  404: [
    'NOT_FOUND: no such object, or one the caller may not see (tenants are isolated by 404).',
    `Also an id or key longer than ${MAX_PATH_PARAM_LENGTH} characters in the path: no object has one, so the answer is 404 (never 414).`,
  ].join(' '),
  413: 'PAYLOAD_TOO_LARGE: the body is larger than the server accepts (FLAGDESK_BODY_LIMIT_BYTES, 1 MiB by default).',
  415: 'VALIDATION_FAILED: a body sent with a content type other than `application/json` (or with none). An empty `application/json` body is read as no body.',
} as const;

export type DocumentedErrorStatus = keyof typeof HTTP_ERROR_RESPONSES;

/** The error statuses documented for a route: 413 and 415 only where a request may carry a body. */
export function errorStatusesOf(contract: Pick<RouteContract, 'method'>): DocumentedErrorStatus[] {
  const always: DocumentedErrorStatus[] = [400, 401, 403, 404];
  return contract.method === 'GET' ? always : [...always, 413, 415];
}
