// Runs the Nu HTML Checker (vnu.jar, needs Java 11+) once over many files.
import { execFile } from 'node:child_process';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const VNU_JAR = path.join(path.dirname(createRequire(import.meta.url).resolve('vnu-jar/package.json')), 'build', 'dist', 'vnu.jar');

/**
 * Checks HTML files with `java -jar vnu.jar --errors-only`.
 * @param {string[]} files absolute paths
 * @returns {Promise<Map<string, string[]>>} for each file its errors as "line:column: message"; files without errors map to []
 */
export function vnuCheck(files) {
  return new Promise((resolve, reject) => {
    const args = ['-jar', VNU_JAR, '--errors-only', '--format', 'json', ...files];
    execFile('java', args, { maxBuffer: 64 << 20 }, (err, stdout, stderr) => {
      // vnu exits 1 when it found errors; the JSON report is on stderr either way.
      let report;
      try {
        report = JSON.parse(stderr);
      } catch {
        reject(new Error(`vnu.jar did not report (is Java 11+ installed?): ${(err && err.message) || stderr}`));
        return;
      }
      const byFile = new Map(files.map((f) => [path.resolve(f), []]));
      for (const m of report.messages) {
        if (m.type !== 'error' && m.type !== 'non-document-error') continue;
        const file = m.url ? path.resolve(fileURLToPath(m.url)) : '(unknown file)';
        const where = m.lastLine ? `${m.lastLine}:${m.firstColumn ?? m.lastColumn}` : '-';
        const extract = m.extract ? ` near "${m.extract.replace(/\s+/g, ' ').trim().slice(0, 80)}"` : '';
        if (!byFile.has(file)) byFile.set(file, []);
        byFile.get(file).push(`${where}: ${m.message}${extract}`);
      }
      resolve(byFile);
    });
  });
}
