/** @type {import('jest').Config} The engine suite (npm run test:engine): tests/engine, one at a time. */
module.exports = {
  preset: "ts-jest",
  testEnvironment: "node",
  roots: ["<rootDir>/tests/engine"],
  // Each scenario starts control planes and runs pulumi: never two at once on a 2-core machine.
  maxWorkers: 1,
  testTimeout: 20 * 60 * 1000,
};
