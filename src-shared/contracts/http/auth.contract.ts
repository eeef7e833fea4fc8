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
