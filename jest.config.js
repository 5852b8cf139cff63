// Unit tests mock the AWS SDK; integration tests run against DynamoDB Local and fauxqs, which
// their global setup starts once per run.
const transform = { '^.+\\.ts$': ['ts-jest', { diagnostics: false }] };
const common = { testEnvironment: 'node', transform, moduleFileExtensions: ['ts', 'js', 'json'] };

/** @type {import('jest').Config} */
module.exports = {
  projects: [
    { ...common, displayName: 'unit', testMatch: ['<rootDir>/tests/unit/**/*.test.ts'], setupFiles: ['<rootDir>/tests/support/unitEnv.ts'] },
    // The local runtime's own tests (packages/local-sam), on fixture apps of their own.
    { ...common, displayName: 'local-sam', testMatch: ['<rootDir>/packages/local-sam/test/**/*.test.ts'], testPathIgnorePatterns: ['/node_modules/', '<rootDir>/packages/local-sam/test/shapes/'] },
    {
      ...common,
      displayName: 'integration',
      testMatch: ['<rootDir>/tests/integration/**/*.test.ts'],
      globalSetup: '<rootDir>/tests/support/emulatorSetup.ts',
      globalTeardown: '<rootDir>/tests/support/emulatorTeardown.ts',
      setupFilesAfterEnv: ['<rootDir>/tests/support/slowTests.ts'],
    },
    // The local runtime on SAM apps of every common shape (fixture apps under packages/local-sam/test/fixtures),
    // each started in-process on emulators of its own.
    { ...common, displayName: 'local-sam-fixtures', testMatch: ['<rootDir>/packages/local-sam/test/shapes/**/*.test.ts'], setupFilesAfterEnv: ['<rootDir>/tests/support/slowTests.ts'] },
    // template.yaml and swagger.yaml read as specifications: least privilege, encryption, API keys, alarms.
    { ...common, displayName: 'template', testMatch: ['<rootDir>/tests/template/**/*.test.ts'] },
    {
      // Over HTTP against the whole local stack (`npm start`), which its global setup starts once.
      ...common,
      displayName: 'e2e',
      testMatch: ['<rootDir>/tests/e2e/**/*.test.ts'],
      globalSetup: '<rootDir>/tests/e2e/support/stackSetup.ts',
      globalTeardown: '<rootDir>/tests/e2e/support/stackTeardown.ts',
      setupFilesAfterEnv: ['<rootDir>/tests/support/slowTests.ts'],
    },
    // The contract's guarantees, each attacked on a local stack of its own (`npm start` with the
    // parameters that guarantee needs). GUARANTEES_SCALE=full (npm run test:guarantees:full) runs them bigger.
    // The nemesis's generators (its runs are `npm run test:nemesis`, tests/nemesis/README.md).
    { ...common, displayName: 'nemesis', testMatch: ['<rootDir>/tests/nemesis/**/*.test.ts'] },
    { ...common, displayName: 'guarantees', testMatch: ['<rootDir>/tests/guarantees/**/*.test.ts'], setupFilesAfterEnv: ['<rootDir>/tests/support/slowTests.ts'] },
  ],
};
