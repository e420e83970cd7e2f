// @ts-check
import tseslint from 'typescript-eslint'
import vue from 'eslint-plugin-vue'

const serverImport = { group: ['**/server/**', '**/server'], message: 'web talks to the server only through web/src/api/client.ts.' }

export default tseslint.config(
  { ignores: ['node_modules', 'web/dist', 'test-results', 'playwright-report', 'coverage', 'reports', '.stryker-tmp', '**/*.js', '**/*.mjs'] },
  ...tseslint.configs.recommendedTypeChecked,
  ...vue.configs['flat/recommended'],
  {
    languageOptions: {
      parserOptions: {
        projectService: true,
        tsconfigRootDir: import.meta.dirname,
        extraFileExtensions: ['.vue'],
      },
    },
    rules: {
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': ['error', { fixStyle: 'inline-type-imports' }],
      'vue/multi-word-component-names': 'off',
      'vue/max-attributes-per-line': 'off',
      'vue/singleline-html-element-content-newline': 'off',
      'vue/html-self-closing': 'off',
      'vue/html-indent': 'off',
      'vue/first-attribute-linebreak': 'off',
      'vue/html-closing-bracket-newline': 'off',
    },
  },
  {
    files: ['**/*.vue'],
    languageOptions: { parserOptions: { parser: tseslint.parser } },
  },
  {
    // shared/ is used by both sides at run time: it may import nothing outside itself.
    files: ['shared/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', { patterns: [{ regex: '^(?!\\./)', message: 'shared/ imports only shared/.' }] }],
    },
  },
  {
    files: ['web/src/**/*.ts', 'web/src/**/*.vue'],
    ignores: ['web/src/api/client.ts'],
    rules: {
      'no-restricted-imports': ['error', { patterns: [serverImport] }],
      'no-restricted-globals': ['error', { name: 'Bun', message: 'Bun APIs do not exist in the browser.' }],
    },
  },
  {
    files: ['server/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', { patterns: [{ group: ['**/web/**'], message: 'server never imports web.' }] }],
    },
  },
)
