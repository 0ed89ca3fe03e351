#!/usr/bin/env node
/**
 * `pra-sessions`: operator tools around the module. Each subcommand is a function that returns its
 * exit code, so that the program definition stays a list and subcommands stay testable.
 * Exit codes: 0 done, 1 the work failed (bad report, unreadable file, API error), 2 usage error.
 */
import { createReadStream } from 'node:fs';
import { once } from 'node:events';
import type { Readable, Writable } from 'node:stream';
import { Command, CommanderError } from 'commander';
import { PraError } from './module/pra/errors';
import { parseSessionListing } from './module/feeds/sessions/listing';
import { parseAccessSessionReport } from './module/feeds/sessions/report-parser';

const PROGRAM = 'pra-sessions';
const EXIT_FAILED = 1;
const EXIT_USAGE = 2;

export interface ParseCommandOptions {
  listing?: boolean;
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

/**
 * `pra-sessions parse <file|->`: one compact JSON event per line, as the collector forwards them,
 * or with `--listing` the lsids of an AccessSessionListing report.
 */
export async function parseCommand(
  file: string,
  options: ParseCommandOptions,
  io: Io = processIo,
): Promise<number> {
  const label = file === '-' ? '<stdin>' : file;
  const input = file === '-' ? io.stdin : createReadStream(file);
  const out = new LineWriter(io.stdout);
  try {
    if (options.listing) {
      for (const lsid of await parseSessionListing(input)) await out.line(lsid);
    } else {
      for await (const item of parseAccessSessionReport(input)) {
        if (item.kind === 'event') await out.line(JSON.stringify(item.event));
      }
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
  }
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
    .description('Tools for the BeyondTrust PRA session collector')
    // Before any subcommand is added, so that they inherit it: usage errors surface here as
    // CommanderError instead of exiting the process with commander's code 1.
    .exitOverride()
    .configureOutput({
      writeOut: (text) => io.stdout.write(text),
      writeErr: (text) => io.stderr.write(text),
    });
  program
    .command('parse')
    .description('print the events of an AccessSession report (file or - for stdin) as JSON lines')
    .argument('<file>', 'report file, or - for stdin')
    .option('--listing', 'the input is an AccessSessionListing report: print its lsids instead')
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
