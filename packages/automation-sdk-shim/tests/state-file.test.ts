import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { JsonStateFile, StateFileError } from '@sekoia/automation-sdk-shim';
import { Sandbox, compiledShim } from './helpers';

let sandbox: Sandbox;
beforeEach(() => (sandbox = new Sandbox()));
afterEach(() => sandbox.cleanup());

describe('JsonStateFile', () => {
  it('returns undefined for a missing file and round-trips compact JSON', () => {
    const file = new JsonStateFile<{ most_recent_date_seen: string }>(
      path.join(sandbox.dataDir, 'context.json'),
    );
    expect(file.read()).toBeUndefined();
    file.write({ most_recent_date_seen: '2024-12-03T15:41:07+00:00' });
    expect(fs.readFileSync(file.path, 'utf8')).toBe('{"most_recent_date_seen":"2024-12-03T15:41:07+00:00"}');
    expect(file.read()).toEqual({ most_recent_date_seen: '2024-12-03T15:41:07+00:00' });
    expect(fs.readdirSync(sandbox.dataDir)).toEqual(['context.json']);
  });

  it('reports invalid JSON with the path and without the content', () => {
    fs.mkdirSync(sandbox.dataDir);
    const target = path.join(sandbox.dataDir, 'context.json');
    fs.writeFileSync(target, '{"cursor": "private-cursor-value"');
    const error = (() => {
      try {
        new JsonStateFile(target).read();
      } catch (e) {
        return e as Error;
      }
    })();
    expect(error).toBeInstanceOf(StateFileError);
    expect(error?.message).toContain(target);
    expect(error?.message).not.toContain('private-cursor-value');
  });

  it('keeps the previous state when a write is interrupted (stray temp file)', () => {
    const file = new JsonStateFile<{ n: number }>(path.join(sandbox.dataDir, 'context.json'));
    file.write({ n: 1 });
    fs.writeFileSync(path.join(sandbox.dataDir, '.context.json.999.abc.tmp'), '{"n": 2, "trunc');
    expect(file.read()).toEqual({ n: 1 });
    file.write({ n: 3 });
    expect(file.read()).toEqual({ n: 3 });
  });

  it('leaves a complete state when the writing process is killed mid-loop', async () => {
    const target = path.join(sandbox.dataDir, 'context.json');
    const script = path.join(sandbox.root, 'writer.js');
    fs.writeFileSync(
      script,
      `const { JsonStateFile } = require(${JSON.stringify(compiledShim)});
const file = new JsonStateFile(${JSON.stringify(target)});
const padding = 'x'.repeat(200000);
for (let n = 1; ; n++) {
  file.write({ n, padding });
  if (n === 5) process.stdout.write('written\\n');
}
`,
    );
    const child = spawn(process.execPath, [script], { stdio: ['ignore', 'pipe', 'inherit'] });
    const exited = new Promise<void>((resolve) => child.on('exit', () => resolve()));
    await new Promise<void>((resolve) => child.stdout.once('data', () => resolve()));
    child.kill('SIGKILL');
    await exited;
    const state = new JsonStateFile<{ n: number; padding: string }>(target).read();
    expect(state?.n).toBeGreaterThanOrEqual(5);
    expect(state?.padding).toHaveLength(200000);
  }, 10_000);
});
