import { Type } from '@sinclair/typebox';
import { defineRoutes } from './route-contract.js';

export const UserSchema = Type.Object(
  {
    id: Type.Integer(),
    email: Type.String(),
    first_name: Type.String(),
    last_name: Type.String(),
    uuid: Type.String(),
  },
  { $id: 'User', description: 'A Flagdesk user.' },
);

export const authRoutes = defineRoutes({
  login: {
    method: 'POST',
    url: '/api/v1/auth/login/',
    summary: 'Sign in with email and password; returns a token for `Authorization: Token <key>`.',
    tag: 'auth',
    auth: 'none',
    body: Type.Object({
      email: Type.String({ minLength: 1, maxLength: 254, description: 'Account email (case-insensitive).' }),
      password: Type.String({ minLength: 1, maxLength: 1024 }),
    }),
    successStatus: 200,
    response: Type.Object({ key: Type.String({ description: 'Session token. Keep it secret; it is stored hashed.' }) }),
    errors: ['VALIDATION_FAILED'],
  },
  logout: {
    method: 'POST',
    url: '/api/v1/auth/logout/',
    summary: 'Revoke the session token used for this request.',
    tag: 'auth',
    auth: 'admin',
    successStatus: 204,
    response: Type.Null(),
    errors: ['UNAUTHENTICATED'],
  },
  getCurrentUser: {
    method: 'GET',
    url: '/api/v1/auth/users/me/',
    summary: 'The signed-in user.',
    tag: 'auth',
    auth: 'admin',
    successStatus: 200,
    response: UserSchema,
    errors: ['UNAUTHENTICATED', 'PERMISSION_DENIED'],
  },
});

/**
 * First run of an empty server: the sign-in page asks whether it should offer to create the first
 * administrator, and creates them with their organisation. Both are public, and the create works only
 * while the server has no user at all (the environment variables and the CLI remain the other ways).
 */
export const firstRunRoutes = defineRoutes({
  getFirstRunStatus: {
    method: 'GET',
    url: '/api/v1/auth/first-run/',
    summary: 'Whether the server has no user yet, so its first administrator can be created from the sign-in page.',
    tag: 'auth',
    auth: 'none',
    successStatus: 200,
    response: Type.Object({ needs_first_admin: Type.Boolean({ description: 'True while the server has no user.' }) }),
    errors: [],
  },
  createFirstAdmin: {
    method: 'POST',
    url: '/api/v1/auth/first-run/',
    summary: 'On a server without users: create the first organisation and its administrator, and sign them in.',
    tag: 'auth',
    auth: 'none',
    body: Type.Object(
      {
        email: Type.String({ minLength: 3, maxLength: 254, pattern: '^[^@\\s]+@[^@\\s]+$', description: 'The administrator’s email (stored lower-case).' }),
        password: Type.String({ minLength: 8, maxLength: 1024, description: 'At least 8 characters.' }),
        first_name: Type.Optional(Type.String({ maxLength: 150 })),
        last_name: Type.Optional(Type.String({ maxLength: 150 })),
        organisation_name: Type.String({ minLength: 1, maxLength: 2000, description: 'Name of the first organisation.' }),
      },
      { additionalProperties: false },
    ),
    successStatus: 201,
    response: Type.Object({
      key: Type.String({ description: 'Session token of the new administrator, as login returns it.' }),
      organisation: Type.Integer({ description: 'Id of the new organisation.' }),
    }),
    errors: ['VALIDATION_FAILED', 'PRECONDITION_FAILED'],
  },
});
