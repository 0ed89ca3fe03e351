/**
 * Jest's global setup: stops the run at once when the compiled build is older than the sources.
 * Worker threads and child processes (the parse thread, the collector, the CLI) run dist/, while
 * ts-jest runs the sources: after an edit without `npx tsc -b`, a test would compare old code with
 * new and fail, or pass, for the wrong reason.
 */
const fs = require('node:fs');
const path = require('node:path');

const ROOT = path.join(__dirname, '..', '..');
const SOURCES = [
  'main.ts',
  'cli.ts',
  'module',
  'simulator',
  'scripts',
  'bench',
  'packages/automation-sdk-shim/src',
];
const SHIM_SOURCES = path.join('packages', 'automation-sdk-shim', 'src');

/** Where `tsc -b` writes a source's JavaScript: the shim builds into its own dist/. */
function compiledPathOf(file) {
  const relative = path.relative(ROOT, file).replace(/\.ts$/, '.js');
  if (relative.startsWith(SHIM_SOURCES))
    return path.join(ROOT, 'packages', 'automation-sdk-shim', 'dist', path.relative(SHIM_SOURCES, relative));
  return path.join(ROOT, 'dist', relative);
}

function* sourceFiles(entry) {
  const stat = fs.statSync(entry, { throwIfNoEntry: false });
  if (stat === undefined) return;
  if (stat.isFile()) {
    if (entry.endsWith('.ts') && !entry.endsWith('.d.ts')) yield [entry, stat.mtimeMs];
    return;
  }
  for (const name of fs.readdirSync(entry)) yield* sourceFiles(path.join(entry, name));
}

module.exports = function checkBuildIsFresh() {
  const stale = [];
  for (const source of SOURCES) {
    for (const [file, mtime] of sourceFiles(path.join(ROOT, source))) {
      const built = fs.statSync(compiledPathOf(file), { throwIfNoEntry: false });
      if (built === undefined || built.mtimeMs < mtime) stale.push(path.relative(ROOT, file));
    }
  }
  if (stale.length > 0) {
    throw new Error(
      `dist/ is older than ${stale.length} source file(s) (${stale.slice(0, 3).join(', ')}` +
        `${stale.length > 3 ? ', …' : ''}): run \`npx tsc -b\` first (npm test and npm run test:unit do)`,
    );
  }
};
