/**
 * `npm run bench:parse`: parse throughput and peak memory of parseAccessSessionReport on generated
 * 30 MB and 300 MB reports. Each parse runs in a fresh child process so that its peak RSS is its own
 * and not the generator's or the previous run's. Prints numbers; never fails on them.
 */
import { execFile } from 'node:child_process';
import { createReadStream } from 'node:fs';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { parseAccessSessionReport } from '../module/report-parser';
import { generateReport } from './report-generator';

const MB = 1024 * 1024;
const SIZES_MB = [32, 300];
const TARGET_EVENTS_PER_SECOND = 80_000;
const TARGET_PEAK_RSS_MB = 150;

interface ParseRun {
  events: number;
  sessions: number;
  jsonBytes: number;
  seconds: number;
  peakRssMb: number;
}

/** Child side: parse one file and report on stdout as JSON. */
async function measure(path: string): Promise<ParseRun> {
  const started = process.hrtime.bigint();
  let events = 0;
  let sessions = 0;
  let jsonBytes = 0;
  for await (const item of parseAccessSessionReport(createReadStream(path))) {
    if (item.kind === 'event') {
      events++;
      // The collector serialises every event; leaving it out would flatter the numbers.
      jsonBytes += JSON.stringify(item.event).length;
    } else {
      sessions++;
    }
  }
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  return { events, sessions, jsonBytes, seconds, peakRssMb: process.resourceUsage().maxRSS / 1024 };
}

async function runInChild(path: string): Promise<ParseRun> {
  const { stdout } = await promisify(execFile)(process.execPath, [__filename, '--child', path], {
    maxBuffer: MB,
  });
  return JSON.parse(stdout) as ParseRun;
}

async function main(): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'pra-bench-parse-'));
  try {
    const rows: string[][] = [];
    for (const sizeMb of SIZES_MB) {
      const path = join(dir, `report-${sizeMb}mb.xml`);
      const generatedAt = Date.now();
      const generated = await generateReport(path, sizeMb * MB);
      const fileMb = (await stat(path)).size / MB;
      console.log(
        `generated ${fileMb.toFixed(1)} MB, ${generated.sessions} sessions, ${generated.events} events ` +
          `in ${((Date.now() - generatedAt) / 1000).toFixed(1)} s`,
      );
      const run = await runInChild(path);
      if (run.events !== generated.events) {
        throw new Error(`parsed ${run.events} events, generated ${generated.events}`);
      }
      const eventsPerSecond = run.events / run.seconds;
      rows.push([
        fileMb.toFixed(1),
        String(run.events),
        run.seconds.toFixed(2),
        Math.round(eventsPerSecond).toString(),
        (fileMb / run.seconds).toFixed(1),
        run.peakRssMb.toFixed(0),
        eventsPerSecond >= TARGET_EVENTS_PER_SECOND && run.peakRssMb <= TARGET_PEAK_RSS_MB ? 'yes' : 'NO',
      ]);
      await rm(path);
    }
    const header = ['file MB', 'events', 'seconds', 'events/s', 'MB/s', 'peak RSS MB', 'on target'];
    const widths = header.map((title, i) => Math.max(title.length, ...rows.map((row) => row[i].length)));
    const line = (cells: string[]): string => cells.map((cell, i) => cell.padStart(widths[i])).join('  ');
    console.log(`\nparseAccessSessionReport + JSON.stringify per event, node ${process.version}`);
    console.log(line(header));
    for (const row of rows) console.log(line(row));
    console.log(
      `targets: >= ${TARGET_EVENTS_PER_SECOND} events/s, peak RSS <= ${TARGET_PEAK_RSS_MB} MB (whole child process)`,
    );
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

if (process.argv[2] === '--child') {
  measure(process.argv[3]).then(
    (run) => process.stdout.write(JSON.stringify(run)),
    (err: unknown) => {
      console.error(err);
      process.exitCode = 1;
    },
  );
} else {
  main().catch((err: unknown) => {
    console.error(err);
    process.exitCode = 1;
  });
}
