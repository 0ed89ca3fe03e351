/**
 * A bench that measures in a child process of its own, so that the peak RSS it reads is the
 * measured code's alone: the same file runs as the parent (`main`) or, with `--child <input>`, as
 * the child (`measure`, whose result goes to stdout as JSON).
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

/** Room for a child's JSON result on stdout. */
const MAX_OUTPUT_BYTES = 1024 * 1024;

export function benchEntry<Run>(measure: (input: string) => Promise<Run>, main: () => Promise<void>): void {
  const run =
    process.argv[2] === '--child'
      ? measure(process.argv[3] as string).then((result) => {
          process.stdout.write(JSON.stringify(result));
        })
      : main();
  run.catch((err: unknown) => {
    console.error(err);
    process.exitCode = 1;
  });
}

/** Runs `command` (with `env`, default this process's) and parses the JSON it writes to stdout. */
export async function runInChild<Run>(
  command: string,
  args: string[],
  env?: NodeJS.ProcessEnv,
): Promise<Run> {
  const { stdout } = await promisify(execFile)(command, args, { maxBuffer: MAX_OUTPUT_BYTES, env });
  return JSON.parse(stdout) as Run;
}
