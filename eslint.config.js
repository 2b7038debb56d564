// Lint policy: the recommended JS and TypeScript rules, plus the few that catch real bugs in
// event-driven call handling (floating promises are checked by tsc-less rules only where cheap).
import js from '@eslint/js'
import tseslint from 'typescript-eslint'
import { folderBoundaries } from './scripts/lint/folder-boundaries.js'

export default tseslint.config(
  { ignores: ['node_modules/**', 'softphone/vendor/**', 'softphone/dist/**', 'test-artifacts/**', '.hotline/**', 'dist/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-explicit-any': 'off',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none' }],
      'no-empty': ['error', { allowEmptyCatch: true }],
    },
  },
  {
    // The layering of src/ (scripts/lint/folder-boundaries.js): no folder cycles, no kernel → capability.
    files: ['src/**/*.ts'],
    plugins: { hotline: { rules: { 'folder-boundaries': folderBoundaries } } },
    rules: { 'hotline/folder-boundaries': 'error' },
  },
  // The browser pages: plain ES modules (type-checked by tsconfig.pages.json), browser globals.
  {
    files: ['softphone/*.js', 'public/**/*.js', 'workspace/**/*.js'],
    languageOptions: {
      globals: Object.fromEntries(['window', 'document', 'location', 'history', 'localStorage', 'sessionStorage', 'fetch', 'URL', 'FormData', 'Blob', 'FileReader', 'Node', 'URLSearchParams', 'atob',
        'setTimeout', 'clearTimeout', 'setInterval', 'clearInterval', 'getComputedStyle', 'confirm', 'prompt', 'console', 'Intl'].map((name) => [name, 'readonly']))
    }
  },
)
