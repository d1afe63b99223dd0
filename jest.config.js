/** @type {import('jest').Config} npm test's suite: no cluster, no engine. */
module.exports = {
  testEnvironment: "node",
  roots: ["<rootDir>/tests"],
  // Transpiled only: `npm test` runs tsc --noEmit (strict) over everything first.
  transform: { "^.+\\.ts$": ["ts-jest", { isolatedModules: true }] },
  // The engine suite runs the real engine on a local control plane: npm run test:engine.
  testPathIgnorePatterns: ["/node_modules/", "<rootDir>/tests/engine/"],
  setupFilesAfterEnv: ["<rootDir>/tests/setup.ts"],
  // Most tests wait on processes and timers, not the CPU: more workers than cores.
  maxWorkers: 6,
  testTimeout: 60000,
};
