// Jest runs TypeScript through ts-jest in native ESM mode (node --experimental-vm-modules).
// Two projects: `unit` (pure specs beside the code) and `e2e` (real server, broker, database).
const common = {
  preset: 'ts-jest/presets/default-esm',
  testEnvironment: 'node',
  extensionsToTreatAsEsm: ['.ts'],
  moduleNameMapper: {
    '^#(contracts|domain|persistence|broker|testing)$': '<rootDir>/libs/$1/src/index.ts',
    '^(\\.{1,2}/.*)\\.js$': '$1',
  },
  transform: {
    '^.+\\.ts$': ['ts-jest', { useESM: true, tsconfig: '<rootDir>/tsconfig.json' }],
  },
};

const projects = [
  {
    ...common,
    displayName: 'unit',
    testMatch: ['<rootDir>/libs/**/*.spec.ts', '<rootDir>/apps/*/src/**/*.spec.ts', '<rootDir>/simulators/**/*.spec.ts'],
  },
  {
    ...common,
    displayName: 'e2e',
    testMatch: ['<rootDir>/apps/*/test/**/*.e2e-spec.ts', '<rootDir>/simulators/**/*.e2e-spec.ts'],
  },
];

// JEST_PROJECT=unit|e2e runs one project (`npm run test:unit -- <path> -t <name>` keeps working:
// jest's --selectProjects would swallow the paths that follow it)
const only = process.env.JEST_PROJECT;

export default {
  // applies to every project (a per-project testTimeout is ignored by jest 30)
  testTimeout: 60000,
  projects: only ? projects.filter((p) => p.displayName === only) : projects,
};
