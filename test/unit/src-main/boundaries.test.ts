import { readdirSync, readFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { describe, expect, test } from 'vitest';

const ROOT = resolve(import.meta.dirname, '../../..');

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    return entry.isDirectory() ? sourceFiles(path) : /\.tsx?$/.test(entry.name) ? [path] : [];
  });
}

/** Files with a value (not `import type`) import of `electron`. */
function electronImporters(dir: string): string[] {
  return sourceFiles(join(ROOT, dir))
    .filter((file) => /^import\s+(?!type\b)[^;]*from\s+'electron'/m.test(readFileSync(file, 'utf8')))
    .map((file) => relative(ROOT, file));
}

describe('desktop boundaries (D5)', () => {
  test('only the composition root and the preload import electron; everything else loads in plain Node', () => {
    expect(electronImporters('src-main').sort()).toEqual(['src-main/index.ts', 'src-main/preload/index.ts']);
  });

  test('the renderer never imports electron', () => {
    expect(electronImporters('src-renderer')).toEqual([]);
  });
});
