/**
 * A bench that measures in a child process of its own, so that the peak RSS it reads is the
 * measured code's alone: the same file runs as the parent (`main`) or, with `--child <input>`, as
 * the child (`measure`, whose result goes to stdout as JSON).
 */
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
