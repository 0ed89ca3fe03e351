import fs from 'node:fs';
import path from 'node:path';
import { formatSoakReport, runSoak } from '../../../scripts/soak-runner';
import { REPO_ROOT } from '../../support/paths';

/** The compiled collector: the soak runs the real entry point, so `npm test` builds first. */
const ENTRY_POINT = path.join(REPO_ROOT, 'dist', 'main.js');
const SEED = Number(process.env.SOAK_SEED ?? 20261126);

describe('soak: one minute of faults and restarts', () => {
  it('delivers every event, repeating at most the push in flight at each SIGKILL', async () => {
    if (!fs.existsSync(ENTRY_POINT)) throw new Error(`${ENTRY_POINT} is missing: run \`npx tsc -b\` first`);
    const report = await runSoak({ durationMs: 45_000, seed: SEED, entryPoint: ENTRY_POINT });
    // The table is the failure message: it carries the seed to replay with `npm run soak -- --seed`.
    const table = formatSoakReport(report);
    expect({ problems: report.problems, table }).toEqual({ problems: [], table });
    expect(report.lost).toBe(0);
    expect(report.duplicatedUnexplained).toBe(0);
    expect(report.restarts.sigterm + report.restarts.sigkill).toBeGreaterThan(0);
  }, 200_000);
});
