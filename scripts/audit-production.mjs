#!/usr/bin/env node
/**
 * `npm audit` of the production dependencies, failing on a high or critical advisory.
 *
 * The advisory service is not part of the project: when it cannot answer (a registry mirror that
 * refuses the POST with 405, no network), this says so on stderr and exits 0, because an outage of
 * someone else's service is not a finding; AUDIT_REQUIRED=1 turns that into exit 2. Exit 1 means
 * a real high or critical finding. `--report <file>` reads a saved `npm audit --json` output
 * instead of calling npm (for tests).
 */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import process from 'node:process';

function auditJson() {
  const at = process.argv.indexOf('--report');
  if (at > 0) return readFileSync(process.argv[at + 1], 'utf8');
  const run = spawnSync('npm', ['audit', '--omit=dev', '--json'], { encoding: 'utf8' });
  return run.stdout;
}

let report;
try {
  report = JSON.parse(auditJson());
} catch {
  report = { message: 'npm audit printed no JSON' };
}

const counts = report?.metadata?.vulnerabilities;
if (counts === undefined) {
  process.stderr.write(`npm audit could not run: ${report?.message ?? 'unknown error'}\n`);
  process.exit(process.env.AUDIT_REQUIRED === '1' ? 2 : 0);
}

const serious = Object.values(report.vulnerabilities ?? {}).filter(
  (finding) => finding.severity === 'high' || finding.severity === 'critical',
);
for (const finding of serious) {
  process.stderr.write(`${finding.severity}: ${finding.name} ${finding.range ?? ''}\n`);
}
process.stdout.write(
  `npm audit (production): ${counts.critical ?? 0} critical, ${counts.high ?? 0} high, ` +
    `${counts.moderate ?? 0} moderate, ${counts.low ?? 0} low\n`,
);
process.exit(serious.length > 0 || counts.high > 0 || counts.critical > 0 ? 1 : 0);
