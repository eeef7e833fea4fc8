import type { FlagsmithSource, SourceIdentityOverride, SourceTrait } from './flagsmith-client.js';
import type { ProjectMapping } from './import-catalogue.js';
import { allPages, ImportedKind, indexBy, type ImportContext } from './import-support.js';

type Env = ProjectMapping['environments'][number];

/** A trait's typed value from Flagsmith's columns (`trait_value` is a Flagdesk addition, used when present). */
function traitValue(t: Pick<SourceTrait, 'value_type' | 'string_value' | 'integer_value' | 'boolean_value' | 'float_value' | 'trait_value'>): string | number | boolean | null {
  if (t.trait_value !== undefined) return t.trait_value;
  switch (t.value_type) {
    case 'int':
      return t.integer_value;
    case 'float':
      return t.float_value ?? null;
    case 'bool':
      return t.boolean_value;
    default:
      return t.string_value;
  }
}

const featureOf = (o: SourceIdentityOverride) => (typeof o.feature === 'number' ? o.feature : o.feature.id);

/** An environment's identities by identifier, their traits by key, and their overrides by feature. */
export async function importIdentities(ctx: ImportContext, source: FlagsmithSource, env: Env, mapping: ProjectMapping): Promise<void> {
  const identities = await source.identities(env.source.api_key);
  if (identities.length > 0) ctx.progress(`  environment ${env.source.name}: ${identities.length} identities`);
  const existing = indexBy(await allPages((page) => ctx.target.identities.list(ctx.actor, env.targetKey, {}, page)), (i) => i.identifier);
  let done = 0;
  for (const identity of identities) {
    let target = existing.get(identity.identifier);
    if (target) ctx.tally.record(ImportedKind.IDENTITY, 'unchanged');
    else {
      target = await ctx.target.identities.create(ctx.actor, env.targetKey, { identifier: identity.identifier });
      ctx.tally.record(ImportedKind.IDENTITY, 'created');
    }
    await importTraits(ctx, await source.traits(env.source.api_key, identity.id), env, target.id);
    await importOverrides(ctx, await source.identityOverrides(env.source.api_key, identity.id), env, target.id, mapping);
    if (++done % 100 === 0) ctx.progress(`    ${done} / ${identities.length} identities`);
  }
}

async function importTraits(ctx: ImportContext, traits: SourceTrait[], env: Env, identityId: number): Promise<void> {
  const existing = indexBy(await ctx.target.identities.listTraits(ctx.actor, env.targetKey, identityId), (t) => t.trait_key);
  for (const t of traits) {
    const value = traitValue(t);
    const found = existing.get(t.trait_key);
    if (value === null) continue;
    if (!found) {
      await ctx.target.identities.createTrait(ctx.actor, env.targetKey, identityId, { trait_key: t.trait_key, trait_value: value });
      ctx.tally.record(ImportedKind.TRAIT, 'created');
    } else if (found.trait_value !== value || found.value_type !== t.value_type) {
      await ctx.target.identities.updateTrait(ctx.actor, env.targetKey, identityId, found.id, { trait_key: t.trait_key, value_type: t.value_type, string_value: t.string_value, integer_value: t.integer_value, boolean_value: t.boolean_value, float_value: t.float_value ?? null }, false);
      ctx.tally.record(ImportedKind.TRAIT, 'updated');
    } else ctx.tally.record(ImportedKind.TRAIT, 'unchanged');
  }
}

async function importOverrides(ctx: ImportContext, overrides: SourceIdentityOverride[], env: Env, identityId: number, mapping: ProjectMapping): Promise<void> {
  if (overrides.length === 0) return;
  const existing = new Map((await allPages((page) => ctx.target.identities.listOverrides(ctx.actor, env.targetKey, identityId, {}, page))).map((o) => [o.feature, o]));
  for (const o of overrides) {
    const feature = mapping.features.get(featureOf(o));
    if (feature === undefined) continue;
    const found = existing.get(feature);
    if (!found) {
      await ctx.target.identities.createOverride(ctx.actor, env.targetKey, identityId, { feature, enabled: o.enabled, feature_state_value: o.feature_state_value });
      ctx.tally.record(ImportedKind.IDENTITY_OVERRIDE, 'created');
    } else if (found.enabled !== o.enabled || found.feature_state_value !== o.feature_state_value) {
      await ctx.target.identities.updateOverride(ctx.actor, env.targetKey, identityId, found.id, { feature, enabled: o.enabled, feature_state_value: o.feature_state_value });
      ctx.tally.record(ImportedKind.IDENTITY_OVERRIDE, 'updated');
    } else ctx.tally.record(ImportedKind.IDENTITY_OVERRIDE, 'unchanged');
  }
}
