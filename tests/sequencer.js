// Runs the script tests first: they wait on real processes for 6–20 s each, the rest take a second
// or two. Jest orders by the durations it saw last, but a fresh clone has none, and ordered by file
// size the longest waits came last and stretched npm test by about ten seconds.
const Sequencer = require("@jest/test-sequencer").default;

class ScriptTestsFirst extends Sequencer {
  sort(tests) {
    const waits = (test) => /[\\/]tests[\\/]scripts[\\/]/.test(test.path);
    const sorted = super.sort(tests);
    return [...sorted.filter(waits), ...sorted.filter((test) => !waits(test))];
  }
}

module.exports = ScriptTestsFirst;
