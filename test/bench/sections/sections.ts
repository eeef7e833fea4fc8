import type { DialectName } from '../../../sync-server/platform/database/database.js';
import { runEventsBench } from './events.bench.js';
import { runPeerBench } from './peer.bench.js';
import { runPublishBench } from './publish.bench.js';
import { runReplicationBench } from './replication.bench.js';
import { runSdkBench } from './sdk.bench.js';
import { runVersionsBench } from './versions.bench.js';
import { runVisibleBench } from './visible.bench.js';
import { runImpactBench } from './impact.bench.js';

/** One measured figure of a section. */
export interface BenchMetric {
  name: string;
  value: number;
  unit: string;
}

export interface BenchRunOptions {
  dialects: DialectName[];
  /** Smaller sizes for a smoke run. */
  quick: boolean;
}

export interface BenchSection {
  /** `--only=<name>` selects it. */
  name: string;
  description: string;
  run(options: BenchRunOptions): Promise<BenchMetric[]>;
}

/** Every section of `npm run bench`, in the order they run. */
export const benchSections: BenchSection[] = [
  { name: 'sdk', description: 'SDK /flags/ and POST /identities/ (5 traits) against a bare Fastify route, CPU per request, document rebuild, single-process server RSS', run: runSdkBench },
  { name: 'publish', description: 'v2 publish p50 at 100 and 5,000 features (every 5th with 5 overrides), 10 concurrent writers against one', run: runPublishBench },
  { name: 'visible', description: 'v2 publish → visible on /flags/ of the same server and of another server on the same PostgreSQL', run: runVisibleBench },
  { name: 'peer', description: 'Unleash beside Flagdesk on its own PostgreSQL database (UNLEASH_DIR), interleaved ratios', run: runPeerBench },
  { name: 'events', description: 'webhook fan-out throughput and lag; audit list latency over 100k entries', run: runEventsBench },
  { name: 'versions', description: 'v2 publish latency, listing 10,000 versions, enabling v2 on 2,000 features, document rebuild after a publish', run: runVersionsBench },
  { name: 'impact', description: 'impact preview of a draft with 5 segment overrides over 100,000 identities × 10 traits, peak RSS', run: runImpactBench },
  { name: 'replication', description: 'Chromium replica: first replication of 2,000 features × 10 versions, publish → shown on another page', run: runReplicationBench },
];
