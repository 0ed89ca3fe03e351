/**
 * `npm run bench:syslog [-- --size-mb N]`: throughput and peak memory of reading a PRA Syslog
 * report (archive reader + reassembly) on a generated archive of N MB of syslog text (default
 * 1024), with the Python connector's approach beside it on the same archive, then the whole
 * collector end to end on it (bench/syslog-collector.ts). The archive is generated once per size
 * and day and kept in the system's temp directory for the next run.
 *
 * Each reader runs in a child process of its own, so that its peak RSS (VmHWM) is its own; ours
 * and the collector run under the image's NODE_OPTIONS. Prints numbers; never fails on them.
 */
import fs from 'node:fs';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import path from 'node:path';
import { Command } from 'commander';
import { readSyslogReport } from '../module/feeds/syslog/records';
import { digestKey, isExact } from '../simulator/delivery-check';
import { runCollector } from './syslog-collector';
import { generateSyslogArchive, type GeneratedArchive } from './syslog-generator';
import { benchEntry, runInChild } from './child';
import { IMAGE_NODE_OPTIONS, positiveInteger } from './options';
import { peakRssMb } from './proc-stats';

const MB = 1024 * 1024;
const SEED = 20251211;
/** Changing the generator changes the archive: bump this so that a stale cached one is not reused. */
const GENERATOR_VERSION = 3;
/**
 * Records start a month ago (at midnight UTC, so the cached archive serves a whole day): well inside
 * PRA's 90-day retention, so a collector takes them all; about a week of records follows.
 */
const FIRST_WHEN = Math.floor(Date.now() / 86_400_000) * 86_400 - 30 * 86_400;
const PYTHON = 'python3';
const PYTHON_BASELINE = path.join(__dirname, '..', '..', 'bench', 'syslog_python_baseline.py');

interface ReaderRun {
  records: number;
  lines: number;
  unparsedLines: number;
  withWhen: number;
  seconds: number;
  /** User + system CPU of the whole process, zlib's thread pool included. */
  cpuSeconds: number;
  peakRssMb: number;
}

interface OurRun extends ReaderRun {
  incomplete: number;
  pendingAtEnd: number;
  warnings: number;
}

/** Child side: read the whole report, as the collector will, and report on stdout as JSON. */
async function measure(zipPath: string): Promise<OurRun> {
  const started = process.hrtime.bigint();
  const cpuBefore = process.cpuUsage();
  let warnings = 0;
  let withWhen = 0;
  const report = readSyslogReport(zipPath, () => warnings++);
  for await (const record of report.records) {
    if (record.when !== undefined) withWhen++;
  }
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  const cpu = process.cpuUsage(cpuBefore);
  const { counts } = report;
  return {
    records: counts.recordsComplete + counts.recordsIncomplete,
    incomplete: counts.recordsIncomplete,
    pendingAtEnd: counts.recordsPendingAtEnd,
    lines: counts.lines,
    unparsedLines: counts.linesUnparsed,
    withWhen,
    warnings,
    seconds,
    cpuSeconds: (cpu.user + cpu.system) / 1e6,
    peakRssMb: peakRssMb(process.pid),
  };
}

/** A generated archive: the ZIP, its counts, and the digests of the payloads it holds (see digestKey). */
interface CachedArchive {
  zipPath: string;
  generated: GeneratedArchive;
  /** One 16-character digest after the other, one per audit message, as the generator wrote them. */
  payloadDigestsPath: string;
}

/** The cached archive of this size, generated first if it is not there yet. */
async function archive(sizeMb: number): Promise<CachedArchive> {
  const dir = path.join(
    tmpdir(),
    'pra-bench-syslog',
    `v${GENERATOR_VERSION}-${sizeMb}mb-seed${SEED}-from${FIRST_WHEN}`,
  );
  const zipPath = path.join(dir, 'report.zip');
  const payloadDigestsPath = path.join(dir, 'payload-digests.txt');
  const expectedPath = path.join(dir, 'generated.json');
  if (fs.existsSync(expectedPath)) {
    console.log(`bench:syslog: reusing ${zipPath}`);
    const generated = JSON.parse(fs.readFileSync(expectedPath, 'utf8')) as GeneratedArchive;
    return { zipPath, generated, payloadDigestsPath };
  }
  const started = Date.now();
  fs.mkdirSync(dir, { recursive: true });
  const digests = fs.openSync(payloadDigestsPath, 'w');
  let pending: string[] = [];
  const flush = (): void => {
    fs.writeSync(digests, pending.join(''));
    pending = [];
  };
  const generated = await generateSyslogArchive(
    path.join(dir, 'members'),
    zipPath,
    sizeMb * MB,
    SEED,
    FIRST_WHEN,
    (payload) => {
      pending.push(digestKey(payload));
      if (pending.length >= 65_536) flush();
    },
  );
  flush();
  fs.closeSync(digests);
  fs.rmSync(path.join(dir, 'members'), { recursive: true });
  // Written last: its presence says the archive is whole.
  fs.writeFileSync(expectedPath, JSON.stringify(generated));
  console.log(`bench:syslog: generated ${zipPath} in ${((Date.now() - started) / 1000).toFixed(0)} s`);
  return { zipPath, generated, payloadDigestsPath };
}

/** The baseline is context, not a gate: any failure becomes a printed note. */
async function runPython(zipPath: string): Promise<ReaderRun | string> {
  try {
    return await runInChild<ReaderRun>(PYTHON, [PYTHON_BASELINE, zipPath]);
  } catch (err) {
    return `Python baseline not run: ${err instanceof Error ? err.message.split('\n')[0] : String(err)}`;
  }
}

function row(
  name: string,
  textMb: number,
  run: Pick<ReaderRun, 'records' | 'withWhen' | 'seconds' | 'cpuSeconds' | 'peakRssMb'>,
): string[] {
  return [
    name,
    run.records.toString(),
    run.withWhen.toString(),
    run.seconds.toFixed(1),
    run.cpuSeconds.toFixed(1),
    (textMb / run.seconds).toFixed(1),
    Math.round(run.records / run.seconds).toString(),
    run.peakRssMb.toFixed(0),
  ];
}

function printTable(rows: string[][]): void {
  const header = ['reader', 'records', 'with when', 'seconds', 'CPU s', 'MB/s', 'records/s', 'peak RSS MB'];
  const widths = header.map((title, i) => Math.max(title.length, ...rows.map((cells) => cells[i].length)));
  for (const cells of [header, ...rows]) {
    console.log(
      cells.map((cell, i) => (i === 0 ? cell.padEnd(widths[i]) : cell.padStart(widths[i]))).join('  '),
    );
  }
}

async function main(): Promise<void> {
  const { sizeMb } = new Command('bench:syslog')
    .description(
      'Syslog report reading and collection: throughput and peak memory, beside the Python approach',
    )
    .option('--size-mb <n>', 'MB of syslog text in the generated archive', positiveInteger, 1024)
    .parse()
    .opts<{ sizeMb: number }>();
  const { zipPath, generated, payloadDigestsPath } = await archive(sizeMb);
  const textMb = generated.textBytes / MB;
  console.log(
    `archive: ${(fs.statSync(zipPath).size / MB).toFixed(0)} MB on disk, ${textMb.toFixed(0)} MB of syslog text ` +
      `in ${generated.lines} lines, ${generated.records} audit records, ${generated.otherLines} other lines`,
  );
  const ours = await runInChild<OurRun>(process.execPath, [__filename, '--child', zipPath], {
    ...process.env,
    NODE_OPTIONS: IMAGE_NODE_OPTIONS,
  });
  const notes = [
    `ours: NODE_OPTIONS="${IMAGE_NODE_OPTIONS}" (the image's); ${ours.incomplete} incomplete, ` +
      `${ours.pendingAtEnd} pending at the end, ${ours.unparsedLines} unparsed lines, ${ours.warnings} warnings`,
  ];
  if (
    ours.records !== generated.records ||
    ours.incomplete !== 0 ||
    ours.unparsedLines !== generated.otherLines
  ) {
    notes.push(
      `ours DIFFERS from what was generated: ${generated.records} records, ${generated.otherLines} other lines`,
    );
  }
  const rows = [row('ours (node)', textMb, ours)];
  const python = await runPython(zipPath);
  if (typeof python === 'string') {
    notes.push(python);
  } else {
    rows.push(row('python approach', textMb, python));
    notes.push(
      `python: reads the .gz members as text, so their lines are garbage it drops (${python.unparsedLines} ` +
        `unparsed lines of ${python.lines}): its record count is not comparable, and its MB/s is the same ` +
        "text size over its time although it only goes through the .gz members' compressed bytes",
    );
  }
  const collector = await runCollector(zipPath, payloadDigestsPath, IMAGE_NODE_OPTIONS);
  rows.push(row('collector, end to end', textMb, { ...collector, withWhen: collector.records }));
  notes.push(
    `collector: pull_pra_syslog downloading the archive from the PRA simulator and pushing every record to ` +
      `the intake simulator; ${collector.delivered} of ${collector.records} records delivered, ` +
      (isExact(collector.delivery)
        ? 'each exactly once'
        : `NOT exactly the records generated: lost ${collector.delivery.lost}, duplicated ` +
          `${collector.delivery.duplicated}, unexpected ${collector.delivery.unexpected}`),
  );
  console.log(
    `\nreader + reassembly of ${textMb.toFixed(0)} MB of syslog text, node ${process.version}, ` +
      `${availableParallelism()} cores, load average ${loadavg()[0].toFixed(1)} (wall time is shared with it)`,
  );
  printTable(rows);
  for (const note of notes) console.log(note);
}

benchEntry(measure, main);
