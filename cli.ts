#!/usr/bin/env node
/**
 * `pra` (also installed as `pra-sessions`, the name of the session-only era that scripts call):
 * operator tools around the module. Each subcommand is a function that returns its
 * exit code, so that the program definition stays a list and subcommands stay testable.
 * Exit codes: 0 done, 1 the work failed (bad report, unreadable file, API error), 2 usage error.
 */
import { once } from 'node:events';
import { createReadStream, createWriteStream, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Readable, type Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { Command, CommanderError } from 'commander';
import { PraError } from './module/pra/errors';
import {
  recognise,
  REPORT_NAMES,
  reportNamed,
  syslogReportLines,
  xmlReportLines,
} from './module/feeds/report-kind';
import { peek } from './module/feeds/report-head';
import type { ArchiveWarning } from './module/feeds/syslog/archive';

/** The name messages start with: the one the tool was called by, `pra` when run as a script. */
const PROGRAM = path.basename(process.argv[1] ?? '') === 'pra-sessions' ? 'pra-sessions' : 'pra';
const EXIT_FAILED = 1;
const EXIT_USAGE = 2;

export interface ParseCommandOptions {
  listing?: boolean;
  report?: string;
}

export interface Io {
  stdin: Readable;
  stdout: Writable;
  stderr: Writable;
}

const processIo: Io = { stdin: process.stdin, stdout: process.stdout, stderr: process.stderr };

/** Writes lines in batches and waits whenever the destination asks for it (a slow pipe). */
class LineWriter {
  private batch = '';
  private failure: Error | undefined;

  constructor(private readonly out: Writable) {
    // Kept for the process' lifetime: a late EPIPE must not become an uncaught 'error' event.
    out.on('error', (err: Error) => {
      this.failure ??= err;
    });
  }

  async line(text: string): Promise<void> {
    this.batch += text + '\n';
    if (this.batch.length >= 64 * 1024) await this.flush();
  }

  async flush(): Promise<void> {
    if (this.batch === '') return;
    if (this.failure !== undefined) throw this.failure;
    const batch = this.batch;
    this.batch = '';
    if (!this.out.write(batch)) await once(this.out, 'drain');
  }
}

/** Enough of a reply to see past an XML declaration and comments to the root element. */
const HEAD_BYTES = 4096;

/**
 * `pra parse <file|->`: what the module would forward for a saved report, one line each:
 * compact JSON events for AccessSession, VaultAccountActivity and Team, reassembled payloads for
 * a Syslog ZIP, lsids for a listing. The report is recognised by its root element or its ZIP
 * signature; `--report` (or `--listing`) names it instead.
 */
export async function parseCommand(
  file: string,
  options: ParseCommandOptions,
  io: Io = processIo,
): Promise<number> {
  const label = file === '-' ? '<stdin>' : file;
  const forced = options.listing ? 'AccessSessionListing' : options.report && reportNamed(options.report);
  if (options.report !== undefined && forced === undefined) {
    io.stderr.write(`${PROGRAM}: unknown report ${options.report}; one of ${REPORT_NAMES.join(', ')}\n`);
    return EXIT_USAGE;
  }
  const input = file === '-' ? io.stdin : createReadStream(file);
  const out = new LineWriter(io.stdout);
  let spool: string | undefined;
  try {
    const { head, whole } = await peek(input as AsyncIterable<Buffer>, HEAD_BYTES);
    const report = forced || recognise(head);
    if (report === undefined)
      throw new Error('this is no PRA report this tool knows by its start: name it with --report');
    if (report === 'Syslog') {
      // A ZIP is read from its end first: stdin goes to a temporary file.
      const zip = file === '-' ? (spool = await spoolToFile(whole)) : file;
      const warn = (warning: ArchiveWarning): boolean =>
        io.stderr.write(`${PROGRAM}: ${label}: ${warning.message}\n`);
      for await (const line of syslogReportLines(zip, warn)) await out.line(line);
    } else {
      for await (const line of xmlReportLines(report, whole)) await out.line(line);
    }
    await out.flush();
    return 0;
  } catch (err) {
    // `parse … | head` closing the pipe early is the reader's choice, not a failure.
    if ((err as NodeJS.ErrnoException).code === 'EPIPE') return 0;
    // Whatever was parsed before the failure is printed first; the message says where it stopped.
    await out.flush().catch(() => undefined);
    io.stderr.write(`${PROGRAM}: ${label}: ${describeFailure(err)}\n`);
    return EXIT_FAILED;
  } finally {
    if (input !== io.stdin) input.destroy();
    if (spool !== undefined) rmSync(path.dirname(spool), { recursive: true, force: true });
  }
}

async function spoolToFile(content: AsyncIterable<Buffer>): Promise<string> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'pra-'));
  const file = path.join(dir, 'report.zip');
  await pipeline(Readable.from(content), createWriteStream(file));
  return file;
}

/** One line, no stack: what went wrong and where. */
export function describeFailure(err: unknown): string {
  if (err instanceof PraError && err.kind === 'parse') {
    if (err.line === undefined) return `malformed report: ${err.reason}`;
    return `malformed XML at line ${err.line}, column ${err.column}: ${err.reason}`;
  }
  if (err instanceof PraError) return err.message;
  const message = err instanceof Error ? err.message : String(err);
  return `cannot read: ${message.replace(/\s+/g, ' ')}`;
}

export function buildProgram(io: Io = processIo): Command {
  const program = new Command(PROGRAM)
    .description('Tools for the BeyondTrust PRA collector')
    // Before any subcommand is added, so that they inherit it: usage errors surface here as
    // CommanderError instead of exiting the process with commander's code 1.
    .exitOverride()
    .configureOutput({
      writeOut: (text) => io.stdout.write(text),
      writeErr: (text) => io.stderr.write(text),
    });
  program
    .command('parse')
    .description(
      'print what the module forwards for a saved PRA report (file or - for stdin), one line each: ' +
        'JSON events (AccessSession, VaultAccountActivity, Team), payloads (Syslog ZIP), lsids (listing)',
    )
    .argument('<file>', 'report file, or - for stdin')
    .option('--report <name>', `the report, when its start does not tell: ${REPORT_NAMES.join(', ')}`)
    .option(
      '--listing',
      'the input is an AccessSessionListing report (same as --report AccessSessionListing)',
    )
    .action(async (file: string, options: ParseCommandOptions) => {
      process.exitCode = await parseCommand(file, options, io);
    });
  return program;
}

export async function main(argv: string[] = process.argv): Promise<void> {
  try {
    await buildProgram().parseAsync(argv);
  } catch (err) {
    if (!(err instanceof CommanderError)) throw err;
    // commander has already printed the message; --help and --version are not errors.
    process.exitCode = err.exitCode === 0 ? 0 : EXIT_USAGE;
  }
}

if (require.main === module) {
  main().catch((err: unknown) => {
    process.stderr.write(`${PROGRAM}: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exitCode = EXIT_FAILED;
  });
}
