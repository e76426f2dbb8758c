import nx from '@nx/eslint-plugin';
import tseslint from 'typescript-eslint';

// Module boundaries (see ../shared/STYLE.md): util libs import no framework or driver; apps never import each other;
// libs never import apps. Tags live in each project.json.
const frameworkAndDrivers = ['@nestjs/*', 'typeorm', 'nats', 'pg', 'pg-copy-streams', 'ioredis'];

export default [
  { ignores: ['**/dist', '**/node_modules', '**/tmp', '**/coverage', '.nx/**', '**/*.mjs', '**/*.js'] },
  ...nx.configs['flat/base'],
  ...nx.configs['flat/typescript'],
  {
    files: ['**/*.ts'],
    rules: {
      '@nx/enforce-module-boundaries': [
        'error',
        {
          enforceBuildableLibDependency: false,
          allow: ['@clarion/observability/tracing'],
          depConstraints: [
            // Tests of every project may use the testing harness; production code may not (no-restricted-imports below).
            { sourceTag: 'type:app', onlyDependOnLibsWithTags: ['type:contracts', 'type:util', 'type:infra', 'type:data-access', 'type:domain', 'type:testing'] },
            { sourceTag: 'type:infra', onlyDependOnLibsWithTags: ['type:contracts', 'type:util', 'type:infra', 'type:data-access', 'type:domain', 'type:testing'] },
            { sourceTag: 'type:data-access', onlyDependOnLibsWithTags: ['type:contracts', 'type:util', 'type:infra', 'type:domain', 'type:testing'] },
            { sourceTag: 'type:contracts', onlyDependOnLibsWithTags: ['type:util'], bannedExternalImports: ['typeorm', 'nats', 'pg', 'ioredis'] },
            { sourceTag: 'type:domain', onlyDependOnLibsWithTags: ['type:util', 'type:domain'], bannedExternalImports: frameworkAndDrivers },
            { sourceTag: 'type:util', onlyDependOnLibsWithTags: ['type:util'], bannedExternalImports: frameworkAndDrivers },
            { sourceTag: 'type:testing', onlyDependOnLibsWithTags: ['type:contracts', 'type:util', 'type:infra', 'type:data-access', 'type:domain', 'type:testing'] },
            { sourceTag: 'scope:shared', notDependOnLibsWithTags: ['type:app'] },
          ],
        },
      ],
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/no-explicit-any': 'error',
      'no-console': 'error',
    },
  },
  {
    files: ['apps/**/*.ts', 'libs/**/*.ts'],
    ignores: ['**/*.spec.ts', '**/*.integration-spec.ts', '**/*.e2e-spec.ts', 'libs/testing/**'],
    rules: {
      'no-restricted-imports': ['error', { paths: [{ name: '@clarion/testing', message: 'The test harness is for *.spec/*.integration-spec/*.e2e-spec files only.' }] }],
    },
  },
  {
    files: ['**/*.spec.ts', '**/*.integration-spec.ts', '**/*.e2e-spec.ts', 'tools/**/*.ts', 'libs/testing/**/*.ts'],
    rules: { 'no-console': 'off', '@typescript-eslint/no-non-null-assertion': 'off' },
  },
];
