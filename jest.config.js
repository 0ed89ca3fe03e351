/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/tests', '<rootDir>/packages/automation-sdk-shim/tests'],
  transform: {
    '^.+\\.ts$': ['ts-jest', { tsconfig: 'tsconfig.json' }],
  },
  moduleNameMapper: {
    '^@sekoia/automation-sdk-shim$': '<rootDir>/packages/automation-sdk-shim/src/index.ts',
  },
  testTimeout: 60000,
  globalSetup: '<rootDir>/tests/support/fresh-build.cjs',
  reporters: ['default', '<rootDir>/tests/support/summary-reporter.cjs'],
};
