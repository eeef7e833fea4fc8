import { Type, type Static } from '@sinclair/typebox';
import { defineRoutes, IdParam, NoContent, Timestamp } from './route-contract.js';

/** A project, in Flagsmith's `ProjectListSerializer` shape (the fields Flagdesk supports). */
export const ProjectSchema = Type.Object(
  {
    id: Type.Integer(),
    uuid: Type.String(),
    name: Type.String(),
    organisation: Type.Integer({ description: 'Id of the organisation the project belongs to.' }),
    hide_disabled_flags: Type.Boolean({ description: 'When true, SDKs receive no disabled flags (environments may override).' }),
    enable_dynamo_db: Type.Boolean({ description: 'Always false: Flagdesk stores identities in its own database.' }),
    use_edge_identities: Type.Boolean({ description: 'Always false (no Edge API).' }),
    created_date: Timestamp,
  },
  { description: 'A project: features, segments and environments live in one.' },
);
export type ProjectWire = Static<typeof ProjectSchema>;

const ProjectWrite = {
  name: Type.String({ minLength: 1, maxLength: 2000, description: 'Project name.' }),
  hide_disabled_flags: Type.Optional(Type.Boolean({ description: 'Hide disabled flags from SDKs (default false).' })),
};

const ProjectId = Type.Object({ id: IdParam });

export const projectRoutes = defineRoutes({
  listProjects: {
    method: 'GET',
    url: '/api/v1/projects/',
    summary: 'Projects the caller can view, optionally of one organisation. A plain array, as in Flagsmith (not paginated).',
    tag: 'projects',
    auth: 'admin',
    querystring: Type.Object({
      organisation: Type.Optional(Type.Integer({ minimum: 1, maximum: 2147483647, description: 'Only projects of this organisation.' })),
      uuid: Type.Optional(Type.String({ maxLength: 64, description: 'Only the project with this uuid.' })),
    }),
    successStatus: 200,
    response: Type.Array(ProjectSchema),
    errors: ['UNAUTHENTICATED'],
  },
  createProject: {
    method: 'POST',
    url: '/api/v1/projects/',
    summary: 'Create a project in an organisation (organisation admin). A user creating it also becomes its project admin, as in Flagsmith.',
    tag: 'projects',
    auth: 'admin',
    body: Type.Object({ ...ProjectWrite, organisation: Type.Integer({ minimum: 1, maximum: 2147483647, description: 'Organisation id.' }) }),
    successStatus: 201,
    response: ProjectSchema,
    errors: ['VALIDATION_FAILED', 'PERMISSION_DENIED'],
  },
  getProject: {
    method: 'GET',
    url: '/api/v1/projects/:id/',
    summary: 'One project (VIEW_PROJECT).',
    tag: 'projects',
    auth: 'admin',
    params: ProjectId,
    successStatus: 200,
    response: ProjectSchema,
    errors: ['NOT_FOUND'],
  },
  updateProject: {
    method: 'PUT',
    url: '/api/v1/projects/:id/',
    summary: 'Replace a project’s settings (project admin).',
    tag: 'projects',
    auth: 'admin',
    params: ProjectId,
    body: Type.Object(ProjectWrite),
    successStatus: 200,
    response: ProjectSchema,
    errors: ['NOT_FOUND', 'PERMISSION_DENIED', 'VALIDATION_FAILED'],
  },
  partialUpdateProject: {
    method: 'PATCH',
    url: '/api/v1/projects/:id/',
    summary: 'Change some of a project’s settings (project admin).',
    tag: 'projects',
    auth: 'admin',
    params: ProjectId,
    body: Type.Partial(Type.Object(ProjectWrite)),
    successStatus: 200,
    response: ProjectSchema,
    errors: ['NOT_FOUND', 'PERMISSION_DENIED', 'VALIDATION_FAILED'],
  },
  deleteProject: {
    method: 'DELETE',
    url: '/api/v1/projects/:id/',
    summary: 'Delete a project with its environments, features and segments (project admin).',
    tag: 'projects',
    auth: 'admin',
    params: ProjectId,
    successStatus: 204,
    response: NoContent,
    errors: ['NOT_FOUND', 'PERMISSION_DENIED'],
  },
});
