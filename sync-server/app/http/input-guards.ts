import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { AppError, validationFailed } from '../../../src-shared/errors/app-error.js';
import { ErrorCode } from '../../../src-shared/errors/error-codes.js';
import { MAX_PATH_PARAM_LENGTH } from '../../../src-shared/contracts/http/route-contract.js';

/*
 * Checks every request gets before its route's schema, whatever the route (issue 16 items 2, 3, 5):
 * - bodies are JSON and nothing else: no text/plain parser, so any other content type is 415;
 *   `content-type: application/json` with an empty body is read as no body (Flagsmith accepts that);
 * - a body where the route takes one is the JSON type the route declares (an object, or an array),
 *   and a required one is present, so a string or array never slips past an object schema;
 * - no string in the path, the query or the body (keys included) holds a NUL character, which
 *   PostgreSQL cannot store in text or jsonb;
 * - a path segment longer than the router allows is 404 (no object has such an id or key), not 414.
 */


type BodySchema = { type?: unknown; properties?: unknown };

/** The JSON type a route's body schema wants, and whether the body may be left out. */
function bodyExpectation(schema: BodySchema): { type: 'object' | 'array' | undefined; isRequired: boolean } {
  if (schema.type === 'object' || schema.type === 'array') return { type: schema.type, isRequired: true };
  // A typeless schema with properties is an optional object body (`OptionalBody` of the contracts).
  if (schema.type === undefined && schema.properties !== undefined) return { type: 'object', isRequired: false };
  return { type: undefined, isRequired: false };
}

function jsonTypeOf(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return typeof value === 'object' ? 'an object' : `a ${typeof value}`;
}

function checkBodyShape(request: FastifyRequest): void {
  const schema = request.routeOptions.schema?.body as BodySchema | undefined;
  if (!schema) return;
  const { type, isRequired } = bodyExpectation(schema);
  if (type === undefined) return;
  const body: unknown = request.body;
  if (body === undefined || body === null) {
    if (isRequired) throw validationFailed('body', `is required: send a JSON ${type} with content-type application/json`);
    return;
  }
  const isRightType = type === 'array' ? Array.isArray(body) : typeof body === 'object' && !Array.isArray(body);
  if (!isRightType) throw validationFailed('body', `must be a JSON ${type}, not ${jsonTypeOf(body)}`);
}

const NUL = '\u0000';
const NUL_MESSAGE = 'must not contain the NUL character (\\u0000)';

/**
 * The path of the first string holding a NUL under `root`, keys included, or undefined. Iterative, so
 * a deeply nested body (JSON.parse takes any depth) cannot overflow the stack.
 */
export function findNulCharacter(root: unknown, rootPath: string): string | undefined {
  const stack: [unknown, string][] = [[root, rootPath]];
  while (stack.length > 0) {
    const [value, path] = stack.pop()!;
    if (typeof value === 'string') {
      if (value.includes(NUL)) return path;
    } else if (Array.isArray(value)) {
      for (let i = value.length - 1; i >= 0; i--) stack.push([value[i], `${path}/${i}`]);
    } else if (typeof value === 'object' && value !== null) {
      for (const key of Object.keys(value)) {
        if (key.includes(NUL)) return `${path}/${key.replaceAll(NUL, '\\u0000')}`;
        stack.push([(value as Record<string, unknown>)[key], `${path}/${key}`]);
      }
    }
  }
  return undefined;
}

function checkNulCharacters(request: FastifyRequest): void {
  for (const [part, value] of [['params', request.params], ['querystring', request.query], ['body', request.body]] as const) {
    const path = findNulCharacter(value, part);
    if (path !== undefined) throw validationFailed(path, NUL_MESSAGE);
  }
}

/** A JSON parser that reads an empty body as no body; anything else must be valid JSON. */
function installJsonOnly(app: FastifyInstance): void {
  const parseJson = app.getDefaultJsonParser('error', 'error');
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (request, body, done) => {
    if (body.length === 0) {
      done(null, undefined);
      return;
    }
    parseJson(request, body as string, done);
  });
}

/** Errors the router raises before any route runs (Fastify's `frameworkErrors`). */
export function answerFrameworkError(error: FastifyError, _request: FastifyRequest, reply: FastifyReply): void {
  if (error.code === 'FST_ERR_MAX_PARAM_LENGTH') {
    const message = `Not found: a path segment is longer than ${MAX_PATH_PARAM_LENGTH} characters, and no id or key is that long.`;
    void reply.code(404).send(new AppError(ErrorCode.NOT_FOUND, message).toWire());
    return;
  }
  const message = error.code === 'FST_ERR_BAD_URL' ? 'path: is not a valid URL (bad percent-encoding).' : `request: ${error.message}`;
  void reply.code(400).send(new AppError(ErrorCode.VALIDATION_FAILED, message, { details: { issues: [{ path: 'path', message }] } }).toWire());
}

/** Installs the JSON-only parser and the body-shape and NUL checks (before schema validation). */
export function installInputGuards(app: FastifyInstance): void {
  installJsonOnly(app);
  app.addHook('preValidation', async (request) => {
    checkNulCharacters(request);
    checkBodyShape(request);
  });
}
