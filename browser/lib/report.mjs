// Prints one line per check ("ok   ..." or "FAIL ...", with indented details) and counts them.

/**
 * @returns {{ok: (name: string, note?: string) => void, fail: (name: string, details?: string[]|string) => void,
 *   check: (name: string, problems: string[], note?: string) => void, note: (text: string) => void,
 *   passed: number, failed: number, summary: (label: string) => number}}
 */
export function createReport({ out = process.stdout } = {}) {
  const report = {
    passed: 0,
    failed: 0,
    failures: [],
    ok(name, note) {
      report.passed += 1;
      out.write(`ok   ${name}${note ? `  (${note})` : ''}\n`);
    },
    fail(name, details = []) {
      report.failed += 1;
      const lines = Array.isArray(details) ? details : [details];
      report.failures.push({ name, details: lines });
      out.write(`FAIL ${name}\n`);
      for (const line of lines) out.write(`       ${line}\n`);
    },
    /** ok when `problems` is empty, else FAIL listing them. */
    check(name, problems, note) {
      if (problems.length === 0) report.ok(name, note);
      else report.fail(name, problems);
    },
    /** A line that is neither a pass nor a failure (a heading or information). */
    note(text) {
      out.write(`==> ${text}\n`);
    },
    /** Prints "<label>: N passed, M failed" and returns the process exit code. */
    summary(label) {
      if (report.failed > 0) {
        out.write(`\nFailed checks:\n`);
        for (const f of report.failures) out.write(`  ${f.name}\n`);
      }
      out.write(`${label}: ${report.passed} passed, ${report.failed} failed\n`);
      return report.failed === 0 ? 0 : 1;
    },
  };
  return report;
}
