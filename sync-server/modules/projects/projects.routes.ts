import { projectRoutes } from '../../../src-shared/contracts/http/projects.contract.js';
import { route, type HttpApp } from '../../app/http/http-app.js';
import type { ProjectsService } from './projects.service.js';

export function registerProjectRoutes(app: HttpApp, projects: ProjectsService): void {
  const r = projectRoutes;
  route(app, 'listProjects', r.listProjects, ({ principal, query }) => projects.list(principal, query));
  route(app, 'createProject', r.createProject, ({ principal, body }) => projects.create(principal, body));
  route(app, 'getProject', r.getProject, ({ principal, params }) => projects.get(principal, params.id));
  route(app, 'updateProject', r.updateProject, ({ principal, params, body }) => projects.update(principal, params.id, body, false));
  route(app, 'partialUpdateProject', r.partialUpdateProject, ({ principal, params, body }) => projects.update(principal, params.id, body, true));
  route(app, 'deleteProject', r.deleteProject, ({ principal, params }) => projects.remove(principal, params.id));
}
