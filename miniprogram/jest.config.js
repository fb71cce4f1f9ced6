// The page tests: miniprogram-simulate renders each page in jsdom; the `wx` shim
// (test/wx-shim.js) sends every cloud call to the dev gateway named by RETAIL_GATEWAY.
module.exports = {
  testEnvironment: "jsdom",
  testMatch: ["<rootDir>/test/**/*.test.js"],
  setupFilesAfterEnv: ["<rootDir>/test/setup.js"],
  testTimeout: 60000,
  maxWorkers: 1,
};
