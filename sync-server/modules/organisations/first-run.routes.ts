import { firstRunRoutes } from '../../../src-shared/contracts/http/auth.contract.js';
import { route, type HttpApp } from '../../app/http/http-app.js';
import type { FirstRunService } from './first-run.js';

export function registerFirstRunRoutes(app: HttpApp, firstRun: FirstRunService): void {
  route(app, 'getFirstRunStatus', firstRunRoutes.getFirstRunStatus, async () => ({ needs_first_admin: await firstRun.needsFirstAdmin() }));
  route(app, 'createFirstAdmin', firstRunRoutes.createFirstAdmin, ({ body }) =>
    firstRun.createFirstAdmin({
      email: body.email,
      password: body.password,
      organisationName: body.organisation_name.trim(),
      ...(body.first_name !== undefined ? { firstName: body.first_name } : {}),
      ...(body.last_name !== undefined ? { lastName: body.last_name } : {}),
    }),
  );
}
