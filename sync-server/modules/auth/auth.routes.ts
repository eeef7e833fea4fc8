import { authRoutes } from '../../../src-shared/contracts/http/auth.contract.js';
import { permissionDenied } from '../../../src-shared/errors/app-error.js';
import { route, type HttpApp } from '../../app/http/http-app.js';
import type { AuthService } from './auth.service.js';

export function registerAuthRoutes(app: HttpApp, auth: AuthService): void {
  route(app, 'login', authRoutes.login, async ({ body }) => auth.login(body.email, body.password));

  route(app, 'logout', authRoutes.logout, async ({ request }) => {
    const token = request.headers.authorization?.split(/\s+/)[1];
    if (token) await auth.logout(token);
  });

  route(app, 'getCurrentUser', authRoutes.getCurrentUser, async ({ principal, request }) => {
    if (principal.kind !== 'user') throw permissionDenied('API keys have no user; use a user token.');
    const token = request.headers.authorization?.split(/\s+/)[1] ?? '';
    const user = await auth.findUserByToken(token);
    if (!user) throw permissionDenied();
    return { id: user.id, email: user.email, first_name: user.firstName, last_name: user.lastName, uuid: user.uuid };
  });
}
