import type { Reporter, TestModule } from 'vitest/node';

/**
 * Prints the run's totals as one plain `N passed, N failed, N skipped` line after vitest's own
 * summary, the form CI reads in any language; and, when scenarios ran, the totals of their secret-leak
 * checks (test/scenarios/secret-leaks.ts). Failed tests are listed by name with their first error
 * line, last, so a CI log cut to its tail still says what failed.
 */
export default class PlainSummaryReporter implements Reporter {
  onTestRunEnd(testModules: ReadonlyArray<TestModule>): void {
    const counts = { passed: 0, failed: 0, skipped: 0 };
    const leaks = { tests: 0, credentials: 0, texts: 0, found: 0 };
    const failures: string[] = [];
    for (const module of testModules) {
      for (const test of module.children.allTests()) {
        const checked = test.meta().secretLeaks;
        if (checked) {
          leaks.tests++;
          leaks.credentials += checked.credentials;
          leaks.texts += checked.texts;
          leaks.found += checked.found;
        }
        const state = test.result().state;
        if (state === 'passed') counts.passed++;
        else if (state !== 'failed') counts.skipped++;
        else {
          counts.failed++;
          const message = test.result().errors?.[0]?.message?.split('\n')[0] ?? '';
          failures.push(`FAILED ${module.moduleId.replace(`${process.cwd()}/`, '')} > ${test.fullName}: ${message}`);
        }
      }
    }
    console.log(`vitest: ${counts.passed} passed, ${counts.failed} failed, ${counts.skipped} skipped`);
    if (leaks.tests > 0) {
      console.log(
        `secret-leak check: ${leaks.tests} scenario tests, ${leaks.credentials} credential values checked in ${leaks.texts} log lines, Events, statuses and metric labels, ` +
          `secret values found (must be 0): ${leaks.found}`,
      );
    }
    for (const failure of failures) console.log(failure);
  }
}
