/** @type {import('jest').Config} npm test's suite: no cluster, no engine. */
module.exports = {
  testEnvironment: "node",
  roots: ["<rootDir>/tests"],
  // Transpiled only, by swc (no TypeScript compiler loaded in each worker): `npm test` runs
  // tsc --noEmit (strict) beside it.
  transform: { "^.+\\.ts$": ["@swc/jest", { jsc: { parser: { syntax: "typescript" }, target: "es2022" }, module: { type: "commonjs" } }] },
  // The engine suite runs the real engine on a local control plane: npm run test:engine.
  testPathIgnorePatterns: ["/node_modules/", "<rootDir>/tests/engine/"],
  setupFilesAfterEnv: ["<rootDir>/tests/setup.ts"],
  testSequencer: "<rootDir>/tests/sequencer.js",
  // Most tests wait on processes and timers, not the CPU: more workers than cores.
  maxWorkers: 6,
  testTimeout: 60000,
};
