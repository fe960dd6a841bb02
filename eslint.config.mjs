// Lint: what the codebase keeps by convention, made a rule — the layering of the folders (VS Code's common/ node/
// browser/ split), no import cycles, and the Vue style guide's priority A and B rules. Formatting is Prettier's job.
import js from '@eslint/js'
import tseslint from 'typescript-eslint'
import pluginVue from 'eslint-plugin-vue'
import { importX, createNodeResolver } from 'eslint-plugin-import-x'
import globals from 'globals'
import { builtinModules } from 'node:module'

const nodeBuiltins = [...builtinModules, ...builtinModules.map((m) => `node:${m}`)]
const nodeOnlyPackages = ['electron', 'better-sqlite3', 'onnxruntime-node', 'ws', 'bullmq', 'ioredis']

/** Imports a folder may not use: each entry says why in the product's words. */
function restricted({ paths = [], patterns = [] }) {
  return ['error', { paths, patterns }]
}

const browserSafe = {
  paths: [
    ...nodeBuiltins.map((name) => ({ name, message: 'common/ and renderer/ run in a browser: no Node built-ins.' })),
    ...nodeOnlyPackages.map((name) => ({
      name,
      message: 'common/ and renderer/ run in a browser: no Node-only packages or Electron.'
    }))
  ],
  patterns: [
    { group: ['electron/*'], message: 'common/ and renderer/ run in a browser: no Electron.' },
    {
      group: ['**/main/**', '**/main', '**/preload/**', '**/native/**'],
      message: 'common/ and renderer/ reach main only through the contract (window.api or the WebSocket client).'
    }
  ]
}

const doors = {
  group: ['**/doors/*', '**/doors/**', './doors/*', '../doors/*'],
  message: 'Only the Electron shell (main/index.ts) and the CLI (main/cli/) open doors; services never import a door.'
}

export default tseslint.config(
  {
    ignores: [
      'out/**',
      'node_modules/**',
      'native/build/**',
      '.electron-native/**',
      'test-results/**',
      'renderer/public/**'
    ]
  },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  ...pluginVue.configs['flat/recommended'],
  {
    files: ['**/*.vue'],
    languageOptions: { parserOptions: { parser: tseslint.parser, extraFileExtensions: ['.vue'] } },
    // TypeScript checks names (DOM types such as FocusOptions included); ESLint's no-undef does not know types.
    rules: { 'no-undef': 'off' }
  },
  {
    plugins: { 'import-x': importX },
    settings: {
      'import-x/resolver-next': [
        createNodeResolver({ extensions: ['.ts', '.mts', '.vue', '.js', '.mjs', '.json', '.node'] })
      ],
      'import-x/extensions': ['.ts', '.mts', '.js', '.mjs'],
      'import-x/parsers': { '@typescript-eslint/parser': ['.ts', '.mts'] }
    },
    languageOptions: { globals: { ...globals.node } },
    rules: {
      'import-x/no-cycle': ['error', { ignoreExternal: true }],
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none' }
      ],
      // Formatting belongs to Prettier; these Vue rules only restate it.
      'vue/max-attributes-per-line': 'off',
      'vue/singleline-html-element-content-newline': 'off',
      'vue/multiline-html-element-content-newline': 'off',
      'vue/html-self-closing': 'off',
      'vue/html-indent': 'off',
      'vue/html-closing-bracket-newline': 'off',
      'vue/first-attribute-linebreak': 'off'
    }
  },
  {
    files: ['renderer/**/*.{ts,vue}', 'common/**/*.ts'],
    languageOptions: { globals: { ...globals.browser } },
    rules: {
      'no-restricted-imports': restricted(browserSafe),
      // Never render what a user or a file wrote as HTML.
      'vue/no-v-html': 'error',
      'no-restricted-syntax': [
        'error',
        {
          selector: 'MemberExpression[property.name=/^(innerHTML|outerHTML)$/]',
          message: 'Never render text as HTML: use textContent or a template.'
        },
        {
          selector: 'CallExpression[callee.property.name="insertAdjacentHTML"]',
          message: 'Never render text as HTML: use textContent or a template.'
        }
      ]
    }
  },
  {
    files: ['main/**/*.ts'],
    ignores: ['main/index.ts', 'main/cli/**', 'main/cli.ts', 'main/doors/**'],
    rules: { 'no-restricted-imports': restricted({ patterns: [doors] }) }
  },
  {
    // Tests build and edit JSON trees freely.
    files: ['test/**'],
    rules: { '@typescript-eslint/no-explicit-any': 'off' }
  },
  {
    files: ['**/*.cjs', 'bin/*.js'],
    languageOptions: { sourceType: 'commonjs' },
    rules: { '@typescript-eslint/no-require-imports': 'off' }
  }
)
