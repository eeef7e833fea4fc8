/**
 * `npm run bench`: runs every benchmark section, prints one table and writes `bench-results/bench.json`.
 *
 *   npm run bench                       every section on SQLite and PostgreSQL
 *   npm run bench -- --quick            smaller sizes (a smoke run, numbers not comparable)
 *   npm run bench -- --only=events      one section (comma-separated for several)
 *   npm run bench -- sqlite             one dialect
 *
 * Measurements live here and never in tests (DEVELOPERS.md). Each section returns metrics; a section that
 * fails is reported in the table and the JSON, the others still run, and the exit code is 1.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { join, resolve } from 'node:path';
import type { DialectName } from '../../sync-server/platform/database/database.js';
import { benchSections, type BenchMetric } from './sections/sections.js';

interface SectionResult {
  section: string;
  durationMs: number;
  metrics: BenchMetric[];
  error?: string;
}

function parseArgs(argv: string[]): { quick: boolean; only: string[] | null; dialects: DialectName[] } {
  const dialects = argv.filter((a): a is DialectName => a === 'sqlite' || a === 'postgres');
  const onlyArg = argv.find((a) => a.startsWith('--only='));
  return {
    quick: argv.includes('--quick'),
    only: onlyArg ? onlyArg.slice('--only='.length).split(',').filter(Boolean) : null,
    dialects: dialects.length > 0 ? dialects : ['sqlite', 'postgres'],
  };
}

function printTable(results: SectionResult[]): void {
  const rows: [string, string, string, string][] = [['section', 'metric', 'value', 'unit']];
  for (const r of results) {
    if (r.error) rows.push([r.section, 'FAILED', '', r.error.split('\n')[0]!.slice(0, 80)]);
    for (const m of r.metrics) rows.push([r.section, m.name, Number.isFinite(m.value) ? String(m.value) : 'n/a', m.unit]);
  }
  const widths = [0, 1, 2, 3].map((i) => Math.max(...rows.map((row) => row[i]!.length)));
  const line = (row: string[]) => row.map((cell, i) => (i === 2 ? cell.padStart(widths[i]!) : cell.padEnd(widths[i]!))).join('  ').trimEnd();
  console.log(line(rows[0]!));
  console.log(widths.map((w) => '-'.repeat(w)).join('  '));
  for (const row of rows.slice(1)) console.log(line(row));
}

const args = parseArgs(process.argv.slice(2));
const unknown = args.only?.filter((name) => !benchSections.some((s) => s.name === name)) ?? [];
if (unknown.length > 0) {
  console.error(`Unknown section(s): ${unknown.join(', ')}. Sections: ${benchSections.map((s) => s.name).join(', ')}`);
  process.exit(2);
}

const results: SectionResult[] = [];
for (const section of benchSections) {
  if (args.only && !args.only.includes(section.name)) continue;
  console.error(`bench: ${section.name} (${section.description}) on ${args.dialects.join(', ')}${args.quick ? ', quick' : ''} …`);
  const t0 = performance.now();
  try {
    const metrics = await section.run({ dialects: args.dialects, quick: args.quick });
    results.push({ section: section.name, durationMs: Math.round(performance.now() - t0), metrics });
  } catch (error) {
    const message = error instanceof Error ? (error.stack ?? error.message) : String(error);
    console.error(`bench: ${section.name} failed: ${message}`);
    results.push({ section: section.name, durationMs: Math.round(performance.now() - t0), metrics: [], error: message });
  }
}

printTable(results);
const outDir = resolve(import.meta.dirname, '../../bench-results');
mkdirSync(outDir, { recursive: true });
const report = {
  ranAt: new Date().toISOString(),
  machine: { node: process.version, cpus: cpus().length, memoryGiB: Math.round(totalmem() / 2 ** 30) },
  quick: args.quick,
  dialects: args.dialects,
  sections: results,
};
writeFileSync(join(outDir, 'bench.json'), `${JSON.stringify(report, null, 2)}\n`);
console.log(`\nwritten: ${join(outDir, 'bench.json')}`);
process.exit(results.some((r) => r.error) ? 1 : 0);
