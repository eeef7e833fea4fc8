import type { FeatureWire, MultivariateOptionInput } from '../../../src-shared/contracts/http/features.contract.js';
import type { FlagsmithSource, SourceEnvironment, SourceFeature, SourceProject } from './flagsmith-client.js';
import { allPages, ImportedKind, indexBy, plainValue, rulesWithoutIds, type ImportContext, type TypedValue } from './import-support.js';

/** Source ids → Flagdesk ids within one project, for the states and identities steps. */
export interface ProjectMapping {
  projectId: number;
  environments: { source: SourceEnvironment; targetId: number; targetKey: string }[];
  features: Map<number, number>;
  options: Map<number, number>;
  segments: Map<number, number>;
}

/** Finds the project by name in the target organisation, or creates it. */
export async function importProject(ctx: ImportContext, source: SourceProject, organisationId: number): Promise<number> {
  const existing = (await ctx.target.projects.list(ctx.actor, { organisation: organisationId })).find((p) => p.name === source.name);
  if (existing) {
    ctx.tally.record(ImportedKind.PROJECT, 'unchanged');
    return existing.id;
  }
  const created = await ctx.target.projects.create(ctx.actor, { name: source.name, organisation: organisationId });
  ctx.tally.record(ImportedKind.PROJECT, 'created');
  return created.id;
}

export async function importEnvironments(ctx: ImportContext, sources: SourceEnvironment[], projectId: number): Promise<ProjectMapping['environments']> {
  const existing = indexBy(await allPages((page) => ctx.target.environments.list(ctx.actor, { project: projectId }, page)), (e) => e.name);
  const out: ProjectMapping['environments'] = [];
  for (const source of sources) {
    let env = existing.get(source.name);
    if (env) ctx.tally.record(ImportedKind.ENVIRONMENT, 'unchanged');
    else {
      env = await ctx.target.environments.create(ctx.actor, { name: source.name, project: projectId, ...(source.description ? { description: source.description } : {}) });
      ctx.tally.record(ImportedKind.ENVIRONMENT, 'created');
      ctx.progress(`  environment ${source.name}: created, SDK key ${env.api_key} (was ${source.api_key})`);
    }
    out.push({ source, targetId: env.id, targetKey: env.api_key });
  }
  return out;
}

type OptionLike = { type: TypedValue['type']; string_value: string | null; integer_value: number | null; boolean_value: boolean | null };
const optionKey = (o: OptionLike) => `${o.type}:${String(plainValue(o))}`;

function optionInput(o: SourceFeature['multivariate_options'][number]): MultivariateOptionInput {
  return { type: o.type, string_value: o.string_value, integer_value: o.integer_value, boolean_value: o.boolean_value, default_percentage_allocation: o.default_percentage_allocation };
}

/** Features by name, their settings, and their multivariate options matched by type and value. */
export async function importFeatures(ctx: ImportContext, sources: SourceFeature[], projectId: number, mapping: Pick<ProjectMapping, 'features' | 'options'>): Promise<void> {
  const existing = indexBy(await allPages((page) => ctx.target.features.list(ctx.actor, projectId, {}, page)), (f) => f.name);
  for (const source of sources) {
    let feature: FeatureWire | undefined = existing.get(source.name);
    if (!feature) {
      feature = await ctx.target.features.create(ctx.actor, projectId, {
        name: source.name,
        type: source.type,
        description: source.description,
        initial_value: source.initial_value,
        default_enabled: source.default_enabled,
        ...(source.is_server_key_only !== undefined ? { is_server_key_only: source.is_server_key_only } : {}),
        ...(source.is_archived !== undefined ? { is_archived: source.is_archived } : {}),
        multivariate_options: source.multivariate_options.map(optionInput),
      });
      ctx.tally.record(ImportedKind.FEATURE, 'created');
      for (let i = 0; i < source.multivariate_options.length; i++) ctx.tally.record(ImportedKind.MV_OPTION, 'created');
    } else {
      const changed = {
        ...((source.description ?? null) !== (feature.description ?? null) ? { description: source.description } : {}),
        ...(source.is_server_key_only !== undefined && source.is_server_key_only !== feature.is_server_key_only ? { is_server_key_only: source.is_server_key_only } : {}),
        ...(source.is_archived !== undefined && source.is_archived !== feature.is_archived ? { is_archived: source.is_archived } : {}),
      };
      if (Object.keys(changed).length > 0) {
        feature = await ctx.target.features.update(ctx.actor, projectId, feature.id, changed, true);
        ctx.tally.record(ImportedKind.FEATURE, 'updated');
      } else ctx.tally.record(ImportedKind.FEATURE, 'unchanged');
      await importOptions(ctx, source, feature, projectId);
      feature = await ctx.target.features.get(ctx.actor, projectId, feature.id);
    }
    mapping.features.set(source.id, feature.id);
    const targetOptions = indexBy(feature.multivariate_options, optionKey);
    for (const o of source.multivariate_options) {
      const t = targetOptions.get(optionKey(o));
      if (t) mapping.options.set(o.id, t.id);
    }
  }
}

async function importOptions(ctx: ImportContext, source: SourceFeature, feature: FeatureWire, projectId: number): Promise<void> {
  const targetOptions = indexBy(feature.multivariate_options, optionKey);
  for (const o of source.multivariate_options) {
    const t = targetOptions.get(optionKey(o));
    if (!t) {
      await ctx.target.features.createOption(ctx.actor, projectId, feature.id, optionInput(o));
      ctx.tally.record(ImportedKind.MV_OPTION, 'created');
    } else if (t.default_percentage_allocation !== o.default_percentage_allocation) {
      await ctx.target.features.updateOption(ctx.actor, projectId, feature.id, t.id, { default_percentage_allocation: o.default_percentage_allocation }, true);
      ctx.tally.record(ImportedKind.MV_OPTION, 'updated');
    } else ctx.tally.record(ImportedKind.MV_OPTION, 'unchanged');
  }
}

/** Segments by name (a feature-specific one by name and feature), their rules compared without ids. */
export async function importSegments(ctx: ImportContext, source: FlagsmithSource, sourceProjectId: number, projectId: number, mapping: Pick<ProjectMapping, 'features' | 'segments'>): Promise<void> {
  const keyOf = (name: string, feature: number | null | undefined) => `${name}\u0000${feature ?? ''}`;
  const existing = indexBy(await allPages((page) => ctx.target.segments.list(ctx.actor, projectId, { includeFeatureSpecific: true }, page)), (s) => keyOf(s.name, s.feature));
  for (const s of await source.segments(sourceProjectId)) {
    const feature = s.feature ? (mapping.features.get(s.feature) ?? null) : null;
    const rules = rulesWithoutIds(s.rules);
    const found = existing.get(keyOf(s.name, feature));
    if (!found) {
      const created = await ctx.target.segments.create(ctx.actor, projectId, { name: s.name, description: s.description, feature, rules });
      mapping.segments.set(s.id, created.id);
      ctx.tally.record(ImportedKind.SEGMENT, 'created');
      continue;
    }
    mapping.segments.set(s.id, found.id);
    const same = JSON.stringify(rulesWithoutIds(found.rules)) === JSON.stringify(rules) && (found.description ?? null) === (s.description ?? null);
    if (same) ctx.tally.record(ImportedKind.SEGMENT, 'unchanged');
    else {
      await ctx.target.segments.update(ctx.actor, projectId, found.id, { name: s.name, description: s.description, feature, rules }, false);
      ctx.tally.record(ImportedKind.SEGMENT, 'updated');
    }
  }
}
