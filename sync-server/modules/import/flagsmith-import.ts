import { AppError } from '../../../src-shared/errors/app-error.js';
import { ErrorCode } from '../../../src-shared/errors/error-codes.js';
import type { Principal } from '../access/principal.js';
import type { FlagsmithSource } from './flagsmith-client.js';
import { importEnvironments, importFeatures, importProject, importSegments, type ProjectMapping } from './import-catalogue.js';
import { importEnvironmentStates } from './import-states.js';
import { importIdentities } from './import-identities.js';
import { Tally, type ImportContext, type ImportTarget } from './import-support.js';

export interface FlagsmithImportOptions {
  /** The source organisation's id; needed only when the token sees several. */
  sourceOrganisationId?: number | undefined;
  /** The Flagdesk organisation to import into (the actor must administer it). */
  targetOrganisationId: number;
  /** Receives one line per step (the CLI prints them). */
  onProgress?: (line: string) => void;
}

export interface FlagsmithImportReport {
  /** Writes made (created + updated): 0 when everything was already there, as on a re-run. */
  changes: number;
  /** One line per kind: created, updated, unchanged. */
  summary: string;
}

/**
 * Imports a Flagsmith organisation (projects, environments, features with multivariate options,
 * segments, environment defaults, segment overrides with their order, identities with traits and
 * identity overrides) into a Flagdesk organisation, writing through Flagdesk's services as `actor`.
 * Things are matched by name (identities by identifier, traits by key, overrides by segment or feature)
 * and only written when they differ, so a second run over an unchanged source writes nothing.
 * Nothing is deleted: what the target has beyond the source stays.
 */
export async function importFromFlagsmith(source: FlagsmithSource, target: ImportTarget, actor: Principal, options: FlagsmithImportOptions): Promise<FlagsmithImportReport> {
  const progress = options.onProgress ?? (() => {});
  const ctx: ImportContext = { target, actor, tally: new Tally(), progress };
  const organisation = await pickSourceOrganisation(source, options.sourceOrganisationId);
  progress(`Importing Flagsmith organisation "${organisation.name}" (id ${organisation.id}) into Flagdesk organisation ${options.targetOrganisationId}`);

  for (const project of await source.projects(organisation.id)) {
    progress(`project ${project.name}`);
    const projectId = await importProject(ctx, project, options.targetOrganisationId);
    const mapping: ProjectMapping = { projectId, environments: [], features: new Map(), options: new Map(), segments: new Map() };
    mapping.environments = await importEnvironments(ctx, await source.environments(project.id), projectId);
    const features = await source.features(project.id);
    progress(`  ${features.length} features`);
    await importFeatures(ctx, features, projectId, mapping);
    await importSegments(ctx, source, project.id, projectId, mapping);
    progress(`  ${mapping.segments.size} segments`);
    for (const env of mapping.environments) {
      progress(`  environment ${env.source.name}: flags and segment overrides`);
      await importEnvironmentStates(ctx, source, env, mapping);
      await importIdentities(ctx, source, env, mapping);
    }
  }
  const summary = ctx.tally.summary();
  progress(summary);
  progress(ctx.tally.changes === 0 ? 'Nothing to change: Flagdesk already matches the source.' : `Done: ${ctx.tally.changes} changes.`);
  return { changes: ctx.tally.changes, summary };
}

async function pickSourceOrganisation(source: FlagsmithSource, id: number | undefined) {
  const organisations = await source.organisations();
  if (id !== undefined) {
    const found = organisations.find((o) => o.id === id);
    if (!found) throw new AppError(ErrorCode.NOT_FOUND, `The source has no organisation ${id} this token can see (it sees: ${organisations.map((o) => `${o.id} ${o.name}`).join(', ') || 'none'}).`);
    return found;
  }
  if (organisations.length === 1) return organisations[0]!;
  throw new AppError(
    ErrorCode.VALIDATION_FAILED,
    organisations.length === 0 ? 'The token sees no organisation on the source.' : `The token sees ${organisations.length} organisations; choose one with --source-organisation: ${organisations.map((o) => `${o.id} ${o.name}`).join(', ')}.`,
  );
}
