/** @type {import('jest').Config} */
module.exports = {
  preset: "ts-jest",
  testEnvironment: "node",
  roots: ["<rootDir>/tests"],
  // The engine suite runs the real engine on a local control plane: npm run test:engine.
  testPathIgnorePatterns: ["/node_modules/", "<rootDir>/tests/engine/"],
  setupFilesAfterEnv: ["<rootDir>/tests/setup.ts"],
  testTimeout: 60000,
};
