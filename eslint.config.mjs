import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['node_modules/', '.aws-sam/', '**/.local/', 'coverage/', 'dist/', 'bench/results/'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    files: ['**/*.js', '**/*.cjs'],
    languageOptions: { sourceType: 'commonjs', globals: { module: 'writable', require: 'readonly', process: 'readonly', __dirname: 'readonly' } },
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
  {
    // The fixture apps' handlers run on Node, as Lambda runs them (.mjs as ES modules).
    files: ['packages/local-sam/test/fixtures/**/*.{js,cjs,mjs}'],
    languageOptions: { globals: { console: 'readonly', process: 'readonly', exports: 'writable' } },
  },
  {
    // The console's page script runs in the browser, as an ES module.
    files: ['packages/local-sam/src/console/*.js'],
    languageOptions: {
      sourceType: 'module',
      globals: { document: 'readonly', window: 'readonly', EventSource: 'readonly', ResizeObserver: 'readonly', CSS: 'readonly', fetch: 'readonly', Intl: 'readonly' },
    },
  },
);
