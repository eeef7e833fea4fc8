import type { IdentityPopulation, PopulationIdentity } from '../../sync-server/modules/identities/identity-population.sql.js';

/**
 * An in-memory identity population with the SQL read model's contract (the conformance suite in
 * `conformance/identity-population.ts` checks both). `holdFrom` lets a test hold batch reads until it
 * releases them, to observe a preview mid-way (progress, cancellation).
 */
export class FakeIdentityPopulation implements IdentityPopulation {
  readonly #byEnvironment = new Map<number, PopulationIdentity[]>();
  #nextId = 1;
  #hold: { fromBatch: number; until: Promise<void> } | null = null;
  #batchesStarted = 0;
  batchesRead = 0;

  /** Batch reads begun (including one waiting on a hold). */
  get batchesStarted(): number {
    return this.#batchesStarted;
  }

  /** Batch reads from the `fromBatch`-th on (0-based) wait until the returned function is called. */
  holdFrom(fromBatch: number): () => void {
    let release!: () => void;
    this.#hold = { fromBatch, until: new Promise((resolve) => (release = resolve)) };
    return release;
  }

  add(environmentId: number, identifier: string, traits: Record<string, unknown> = {}): number {
    const id = this.#nextId++;
    const list = this.#byEnvironment.get(environmentId) ?? [];
    list.push({ id, identifier, traits: Object.entries(traits).map(([trait_key, trait_value]) => ({ trait_key, trait_value })) });
    this.#byEnvironment.set(environmentId, list);
    return id;
  }

  async count(environmentId: number): Promise<number> {
    return this.#byEnvironment.get(environmentId)?.length ?? 0;
  }

  async batch(environmentId: number, afterId: number, limit: number, traitKeys: readonly string[] | null): Promise<PopulationIdentity[]> {
    const index = this.#batchesStarted++;
    if (this.#hold && index >= this.#hold.fromBatch) await this.#hold.until;
    this.batchesRead += 1;
    const keys = traitKeys === null ? null : new Set(traitKeys);
    return (this.#byEnvironment.get(environmentId) ?? [])
      .filter((i) => i.id > afterId)
      .slice(0, limit)
      .map((i) => ({ ...i, traits: i.traits.filter((t) => keys === null || keys.has(t.trait_key)) }));
  }
}
