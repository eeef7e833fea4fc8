import type { HttpClient } from './http-client.js';

/** What `seedOrganisation` created: the environments' client keys and the identities to evaluate. */
export interface SeededOrganisation {
  organisationId: number;
  environments: { name: string; id: number; apiKey: string }[];
  /** Identities with the traits they were given (the SDK sends them again when identifying). */
  identities: { environmentKey: string; identifier: string; traits: { trait_key: string; trait_value: string | number | boolean }[] }[];
}

const str = (s: string) => ({ type: 'unicode', string_value: s });

/**
 * Seeds a real server over HTTP (the Admin API, as a script would) with an organisation's worth of flags:
 * two projects; in the first, two environments, a plain flag, a remote-config value, a multivariate
 * feature with two options and its weights, a segment with nested rules and its override, identities
 * with traits and an identity override. Used by the backup and the Flagsmith-import tests.
 */
export async function seedOrganisation(api: HttpClient): Promise<SeededOrganisation> {
  const organisationId = (await api.call('listOrganisations')).results[0].id as number;
  const shop = (await api.call('createProject', {}, { name: 'Shop', organisation: organisationId })).id as number;
  const blog = (await api.call('createProject', {}, { name: 'Blog', organisation: organisationId })).id as number;
  const prod = await api.call('createEnvironment', {}, { name: 'Production', project: shop });
  const staging = await api.call('createEnvironment', {}, { name: 'Staging', project: shop });
  const blogEnv = await api.call('createEnvironment', {}, { name: 'Live', project: blog });

  const darkMode = (await api.call('createFeature', { project_pk: shop }, { name: 'dark_mode', default_enabled: false })).id as number;
  const banner = (await api.call('createFeature', { project_pk: shop }, { name: 'banner_text', initial_value: 'Welcome', default_enabled: true, description: 'Top banner' })).id as number;
  const checkout = await api.call(
    'createFeature',
    { project_pk: shop },
    { name: 'checkout_flow', initial_value: 'classic', default_enabled: true, multivariate_options: [{ type: 'unicode', string_value: 'one_page', default_percentage_allocation: 30 }, { type: 'unicode', string_value: 'wizard', default_percentage_allocation: 20 }] },
  );
  await api.call('createFeature', { project_pk: blog }, { name: 'comments', initial_value: 25, default_enabled: true });

  const stateOf = async (envKey: string, feature: number) => (await api.call('listEnvironmentFeatureStates', { environment_api_key: envKey }, undefined, `?feature=${feature}`)).results[0].id as number;
  await api.call('partialUpdateEnvironmentFeatureState', { environment_api_key: prod.api_key, id: await stateOf(prod.api_key, darkMode) }, { enabled: true });
  await api.call('partialUpdateEnvironmentFeatureState', { environment_api_key: staging.api_key, id: await stateOf(staging.api_key, banner) }, { feature_state_value: 'Staging banner' });
  const [onePage, wizard] = checkout.multivariate_options.map((o: { id: number }) => o.id);
  await api.call('partialUpdateEnvironmentFeatureState', { environment_api_key: prod.api_key, id: await stateOf(prod.api_key, checkout.id) }, {
    multivariate_feature_state_values: [{ multivariate_feature_option: onePage, percentage_allocation: 50 }, { multivariate_feature_option: wizard, percentage_allocation: 25 }],
  });

  const rules = [
    {
      type: 'ALL',
      conditions: [],
      rules: [
        { type: 'ANY', conditions: [{ operator: 'EQUAL', property: 'plan', value: 'pro' }, { operator: 'EQUAL', property: 'plan', value: 'enterprise' }], rules: [] },
        { type: 'ALL', conditions: [{ operator: 'GREATER_THAN', property: 'seats', value: '10' }], rules: [] },
      ],
    },
  ];
  const bigCustomers = (await api.call('createSegment', { project_pk: shop }, { name: 'big_customers', description: 'Paying teams', rules })).id as number;
  const staff = (await api.call('createSegment', { project_pk: shop }, { name: 'staff', rules: [{ type: 'ALL', conditions: [], rules: [{ type: 'ANY', conditions: [{ operator: 'REGEX', property: 'email', value: '.*@shop\\.example$' }], rules: [] }] }] })).id as number;
  for (const [segment, value, priority] of [[staff, 'Hello staff', 0], [bigCustomers, 'Hello big customer', 1]] as const) {
    const fsg = await api.call('createFeatureSegment', {}, { feature: banner, segment, environment: prod.id, priority });
    await api.call('createFeatureState', {}, { feature: banner, environment: prod.id, feature_segment: fsg.id, enabled: true, feature_state_value: str(value) });
  }

  const identities: SeededOrganisation['identities'] = [];
  const people = [
    { identifier: 'alice', traits: { plan: 'pro', seats: 42, email: 'alice@corp.example' } },
    { identifier: 'bob', traits: { plan: 'free', seats: 1, email: 'bob@shop.example' } },
    { identifier: 'carol', traits: { plan: 'enterprise', seats: 3, beta: true } },
  ];
  for (const p of people) {
    const identity = await api.call('createIdentity', { environment_api_key: prod.api_key }, { identifier: p.identifier });
    const traits = Object.entries(p.traits).map(([trait_key, trait_value]) => ({ trait_key, trait_value }));
    for (const t of traits) await api.call('createIdentityTrait', { environment_api_key: prod.api_key, identity_pk: identity.id }, t);
    identities.push({ environmentKey: prod.api_key, identifier: p.identifier, traits });
    if (p.identifier === 'carol') {
      await api.call('createIdentityFeatureState', { environment_api_key: prod.api_key, identity_pk: identity.id }, { feature: darkMode, enabled: false, feature_state_value: 'carol-only' });
    }
  }
  // Identities without traits, evaluated by identifier only (percentage splits).
  for (const identifier of ['dave', 'erin', 'frank']) identities.push({ environmentKey: prod.api_key, identifier, traits: [] });
  identities.push({ environmentKey: staging.api_key, identifier: 'alice', traits: [{ trait_key: 'plan', trait_value: 'pro' }] });

  return {
    organisationId,
    environments: [
      { name: 'Production', id: prod.id, apiKey: prod.api_key },
      { name: 'Staging', id: staging.id, apiKey: staging.api_key },
      { name: 'Live', id: blogEnv.id, apiKey: blogEnv.api_key },
    ],
    identities,
  };
}

/** What SDKs are served for each seeded identity and environment, keyed so two servers' answers compare. */
export async function servedFlags(api: HttpClient, keys: { environments: { name: string; apiKey: string }[]; identities: SeededOrganisation['identities'] }): Promise<Record<string, unknown>> {
  const flagsOf = (list: any[]) =>
    Object.fromEntries(list.map((f) => [f.feature.name, { enabled: f.enabled, value: f.feature_state_value }]).sort(([a], [b]) => String(a).localeCompare(String(b))));
  const out: Record<string, unknown> = {};
  for (const env of keys.environments) out[`flags ${env.name}`] = flagsOf(await api.sdk('getSdkFlags', env.apiKey));
  for (const id of keys.identities) {
    const envName = keys.environments.find((e) => e.apiKey === id.environmentKey)!.name;
    const r = await api.sdk('identifySdkIdentity', id.environmentKey, { body: { identifier: id.identifier, traits: id.traits } });
    out[`identity ${envName}/${id.identifier}`] = { flags: flagsOf(r.flags), traits: [...r.traits].map((t: any) => `${t.trait_key}=${String(t.trait_value)}`).sort() };
  }
  return out;
}
