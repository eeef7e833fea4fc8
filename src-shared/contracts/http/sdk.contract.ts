import { Type, type Static } from '@sinclair/typebox';
import { defineRoutes } from './route-contract.js';
import { EnvironmentDocumentSchema, SdkFlagSchema, SdkIdentitiesResponseSchema } from '../sdk/environment-document.schema.js';
import { TRAIT_VALUE_MAX_LENGTH } from './limits.js';

// The SDK API: what the official Flagsmith SDKs call with an `X-Environment-Key` (Flagsmith's
// `api/environments/sdk/`, `features.views.SDKFeatureStates`, `environments.identities.views.SDKIdentities`).
// The wire shapes are in `contracts/sdk/environment-document.schema.ts`, shared with the evaluation engine.

/** One trait an SDK sends with an identify call. */
export const SdkTraitInputSchema = Type.Object(
  {
    trait_key: Type.String({ minLength: 1, maxLength: 200, description: 'Trait name.' }),
    // Checked by the service, not by a type union: Fastify's Ajv coerces types and would turn `0` or
    // `false` into null (or null into "") inside an `anyOf`.
    trait_value: Type.Unknown({ maxLength: TRAIT_VALUE_MAX_LENGTH, description: `String (at most ${TRAIT_VALUE_MAX_LENGTH} characters), number or boolean; null deletes a stored trait.` }),
    transient: Type.Optional(Type.Boolean({ description: 'Evaluate with this trait but never store it.' })),
  },
  { description: 'A trait sent by an SDK.' },
);
export type SdkTraitInput = Static<typeof SdkTraitInputSchema>;

const Identifier = Type.String({ minLength: 1, maxLength: 2000, description: 'The user key; unique within the environment.' });

export const sdkRoutes = defineRoutes({
  getSdkFlags: {
    method: 'GET',
    url: '/api/v1/flags/',
    summary:
      'The environment’s flags (environment defaults), for remote evaluation. Disabled flags are left out when the environment (or else its project) hides them; server-key-only features are left out for client-side keys. With `feature`, that one flag (404 when it is not served). 403 when the organisation has stopped serving flags.',
    tag: 'sdk',
    auth: 'sdk',
    querystring: Type.Object({ feature: Type.Optional(Type.String({ minLength: 1, maxLength: 2000, description: 'Only this feature (by name): the answer is then one flag, not a list.' })) }),
    successStatus: 200,
    response: Type.Union([Type.Array(SdkFlagSchema), SdkFlagSchema]),
    errors: ['NOT_FOUND', 'PERMISSION_DENIED'],
  },
  getSdkIdentity: {
    method: 'GET',
    url: '/api/v1/identities/',
    summary:
      'The flags and stored traits of an identity: identity override, else the highest-priority matching segment override, else the environment default; multivariate values split by hashing the identity. Creates the identity on first sight.',
    tag: 'sdk',
    auth: 'sdk',
    querystring: Type.Object({ identifier: Identifier }),
    successStatus: 200,
    response: SdkIdentitiesResponseSchema,
    errors: ['PERMISSION_DENIED'],
  },
  identifySdkIdentity: {
    method: 'POST',
    url: '/api/v1/identities/',
    summary:
      'Identify with traits: evaluates the identity’s flags with the given traits merged over its stored ones. Creates the identity on first sight unless `transient` (or without an identifier); stores the traits when the organisation persists trait data and (for client-side keys) the environment allows client traits. Traits marked `transient` are never stored.',
    tag: 'sdk',
    auth: 'sdk',
    body: Type.Object({
      identifier: Type.Optional(
        Type.String({ maxLength: 2000, description: 'The user key; unique within the environment. Omitted or empty: a transient identity keyed by a hash of the traits (nothing is stored).' }),
      ),
      traits: Type.Optional(Type.Array(SdkTraitInputSchema, { maxItems: 1000 })),
      transient: Type.Optional(Type.Boolean({ description: 'Evaluate without creating the identity or storing any trait.' })),
    }),
    successStatus: 200,
    response: SdkIdentitiesResponseSchema,
    errors: ['VALIDATION_FAILED', 'PERMISSION_DENIED'],
  },
  getEnvironmentDocument: {
    method: 'GET',
    url: '/api/v1/environment-document/',
    summary:
      'The environment document for local evaluation (server-side key only): features, segments with their overrides, and identities with overrides. Served with an ETag; `If-None-Match` with the current one answers 304 without a body.',
    tag: 'sdk',
    auth: 'sdk-server',
    successStatus: 200,
    response: EnvironmentDocumentSchema,
    errors: ['PERMISSION_DENIED'],
  },
});
