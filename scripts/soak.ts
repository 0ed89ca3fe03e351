/**
 * `npm run soak -- --minutes N [--seed S]`: the collector under random faults and restarts, then a
 * delivery check. Exits 1 when an event was lost or duplicated beyond the SIGKILL allowance.
 */
import { Command, InvalidArgumentError } from 'commander';
import { formatSoakReport, runSoak } from './soak-runner';

function positiveNumber(value: string): number {
  const parsed = Number(value);
  if (!Number.isFinite(parsed) || parsed <= 0) throw new InvalidArgumentError('must be a positive number');
  return parsed;
}

function seedNumber(value: string): number {
  const parsed = Number(value);
  if (!Number.isSafeInteger(parsed) || parsed < 0) throw new InvalidArgumentError('must be an integer >= 0');
  return parsed;
}

async function main(): Promise<void> {
  const program = new Command('soak')
    .description('Run the collector against the PRA and Sekoia simulators with random faults and restarts')
    .option('--minutes <n>', 'how long faults and restarts go on', positiveNumber, 1)
    .option('--seed <n>', 'seed of every random choice (printed, to replay a run)', seedNumber)
    .parse();
  const opts = program.opts<{ minutes: number; seed?: number }>();
  const seed = opts.seed ?? Math.floor(Math.random() * 2 ** 31);
  console.log(`soak: ${opts.minutes} min, seed ${seed} (replay with --seed ${seed})`);
  const started = Date.now();
  const report = await runSoak({
    durationMs: opts.minutes * 60_000,
    seed,
    log: (line) => console.log(`  ${line}`),
  });
  console.log(`\n${formatSoakReport(report)}`);
  console.log(`(wall time ${Math.round((Date.now() - started) / 1000)} s)`);
  for (const sample of report.lostSamples) console.log(`lost: ${sample.slice(0, 300)}`);
  process.exitCode = report.problems.length === 0 ? 0 : 1;
}

main().catch((error: unknown) => {
  console.error(`soak: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
  process.exitCode = 2;
});
