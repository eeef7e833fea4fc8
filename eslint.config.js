// Lint: the import boundaries of ARCHITECTURE.md, enforced in CI (npm test runs lint first).
import tseslint from 'typescript-eslint';

const restrict = (patterns, message) => ({
  'no-restricted-imports': ['error', { patterns: patterns.map((group) => ({ group: [group], message })) }],
});

export default tseslint.config(
  { ignores: ['node_modules/**', 'out/**', 'data/**', 'dist/**', 'bench-results/**', '.tmp/**'] },
  {
    files: ['**/*.ts', '**/*.tsx'],
    extends: [tseslint.configs.recommended],
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'no-console': 'error',
    },
  },
  {
    files: ['test/**/*.ts', 'test/**/*.tsx'],
    rules: { '@typescript-eslint/no-explicit-any': 'off', 'no-console': 'off' },
  },
  {
    // src-shared is pure: no I/O, no runtime-specific code, nothing from the other trees.
    files: ['src-shared/**/*.ts'],
    rules: restrict(
      ['**/sync-server/**', '**/src-main/**', '**/src-renderer/**', 'node:*', 'fs', 'path', 'crypto', 'electron', 'react', 'react-dom', 'rxdb', 'rxdb/**', 'kysely', 'fastify', 'pg', 'better-sqlite3'],
      'src-shared is the pure domain core: no I/O, no Node, DOM, Electron or other trees (ARCHITECTURE.md).',
    ),
  },
  {
    files: ['sync-server/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            { group: ['**/src-main/**', '**/src-renderer/**', 'electron'], message: 'The server never imports the desktop app.' },
            { group: ['../*/*.store.js', '../*/*.store.sql.js', '../*/*.store.fake.js'], message: "A module uses another module's service, never its store." },
          ],
        },
      ],
    },
  },
  {
    files: ['src-renderer/**/*.ts', 'src-renderer/**/*.tsx'],
    rules: restrict(['**/sync-server/**', '**/src-main/**', 'electron', 'node:*'], 'The renderer reaches main only through bridge/ and the server only over HTTP.'),
  },
  {
    // The preload's API is touched only by src-renderer/bridge/ (ARCHITECTURE.md).
    files: ['src-renderer/**/*.ts', 'src-renderer/**/*.tsx'],
    ignores: ['src-renderer/bridge/**'],
    rules: { 'no-restricted-properties': ['error', { object: 'window', property: 'api', message: 'Use src-renderer/bridge/ to reach the desktop app.' }] },
  },
  {
    files: ['src-main/**/*.ts'],
    rules: restrict(['**/sync-server/**', '**/src-renderer/**'], 'Main talks to the renderer over the IPC contract only.'),
  },
  {
    // Only each process's app/config.ts reads the environment.
    files: ['sync-server/**/*.ts', 'src-main/**/*.ts', 'src-renderer/**/*.ts', 'src-renderer/**/*.tsx', 'src-shared/**/*.ts'],
    ignores: ['sync-server/app/config.ts', 'src-main/app/config.ts'],
    rules: {
      'no-restricted-syntax': ['error', { selector: "MemberExpression[object.name='process'][property.name='env']", message: 'Read configuration in app/config.ts only.' }],
    },
  },
);
