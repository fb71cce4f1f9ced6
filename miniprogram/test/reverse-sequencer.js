// Runs the test files in reverse order: the page tests pass in any order (tests/clients runs
// them twice, forwards then backwards, against one gateway).
const Sequencer = require("@jest/test-sequencer").default;

class ReverseSequencer extends Sequencer {
  sort(tests) {
    return [...tests].sort((a, b) => (a.path < b.path ? 1 : -1));
  }
}

module.exports = ReverseSequencer;
