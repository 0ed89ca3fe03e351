/**
 * The Dockerfile's steps, proven without a Docker engine: the Dockerfile is replayed into a temporary
 * directory (npm ci, build, prune, runtime COPYs), and the assembled /app runs against the simulators
 * from an unrelated working directory, as the platform runs the image.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

import {
  hostPath,
  replayDockerfile,
  type DockerInstruction,
  type ReplayResult,
} from '../../../scripts/image-replay';
import { CollectorProcess, platformLaunch } from '../../../simulator/collector-process';
import { startPraSimulator, type PraSimulator } from '../../../simulator/pra';
import { startSekoiaSimulator, type SekoiaSimulator } from '../../../simulator/sekoia';
import { REPO_ROOT } from '../../support/paths';

const REPO = REPO_ROOT;
/** npm ci of the whole dependency tree, then two compilations: once, for every test below. */
const REPLAY_TIMEOUT_MS = 300_000;

/** Index of the last instruction with `keyword` (the ES2022 lib has no findLastIndex). */
function lastIndexOf(instructions: DockerInstruction[], keyword: string): number {
  return instructions.map((i) => i.keyword).lastIndexOf(keyword);
}

let tmp: string;
let replay: ReplayResult;
let app: string;

beforeAll(async () => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'pra-image-test-'));
  replay = await replayDockerfile({ context: REPO, outDir: path.join(tmp, 'stages') });
  app = hostPath(replay.image, '.');
}, REPLAY_TIMEOUT_MS);

afterAll(() => {
  if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
});

describe('Dockerfile replay', () => {
  it('carries out every instruction, skipping only the root-only system setup of the runtime stage', () => {
    expect(replay.steps.map((s) => s.instruction)).toEqual(replay.instructions);
    const skipped = replay.steps.filter((s) => s.outcome === 'skipped');
    expect(skipped.map((s) => [s.stage, s.instruction.keyword])).toEqual([[replay.image.name, 'RUN']]);
    expect(skipped[0].instruction.args).toMatch(/^useradd /);
    expect(replay.stages.map((s) => s.name)).toEqual(['build', replay.image.name]);
  });

  it('runs the entry point as /app/dist/main.js, as a non-root user set after the last COPY', () => {
    expect(replay.image.workdir).toBe('/app');
    expect(replay.image.entrypoint).toEqual(['node', '/app/dist/main.js']);
    expect(replay.image.env.NODE_ENV).toBe('production');
    // A quoted ENV value is one value: both heap bounds reach the collector (bench:collect uses them too).
    expect(replay.image.env.NODE_OPTIONS).toBe('--max-semi-space-size=8 --max-old-space-size=256');
    const runtime = replay.instructions.slice(lastIndexOf(replay.instructions, 'FROM'));
    const lastCopy = lastIndexOf(runtime, 'COPY');
    const users = runtime.filter((i, index) => i.keyword === 'USER' && index > lastCopy).map((i) => i.args);
    expect(users).toEqual(['sekoiaio-runtime']);
    expect(replay.image.user).toBe('sekoiaio-runtime');
    // The user the RUN step would create (it needs root, so it is checked on the text).
    const setup = runtime.find((i) => i.keyword === 'RUN')?.args ?? '';
    expect(setup).toMatch(/useradd .*--uid (?!0\b)\d+ .*sekoiaio-runtime/);
  });

  it('holds the manifests, the compiled code and the shim, and nothing of the development tree', () => {
    for (const file of [
      'manifest.json',
      'logo.svg',
      'triggers/pull_pra_sessions.json',
      'dist/main.js',
      'packages/automation-sdk-shim/dist/index.js',
    ]) {
      expect(fs.existsSync(path.join(app, file))).toBe(true);
    }
    const top = fs.readdirSync(app).sort();
    expect(top).toEqual([
      'dist',
      'logo.svg',
      'manifest.json',
      'node_modules',
      'package.json',
      'packages',
      'triggers',
    ]);
    expect(fs.readdirSync(path.join(app, 'triggers')).sort()).toEqual([
      'pull_pra_sessions.json',
      'pull_pra_syslog.json',
      'pull_pra_team.json',
      'pull_pra_vault_account_activity.json',
    ]);
    // The trigger classes are built from the feed registry: dist/ holds no triggers/ of its own.
    expect(fs.readdirSync(path.join(app, 'dist')).filter((f) => !f.endsWith('.js'))).toEqual(['module']);
    for (const absent of ['simulator', 'tests', 'scripts', 'bench', 'main.ts']) {
      expect(fs.existsSync(path.join(app, absent))).toBe(false);
      expect(fs.existsSync(path.join(app, 'dist', absent))).toBe(false);
    }
  });

  it('keeps no development dependency in node_modules', () => {
    const manifest = JSON.parse(fs.readFileSync(path.join(REPO, 'package.json'), 'utf8')) as {
      dependencies: Record<string, string>;
      devDependencies: Record<string, string>;
    };
    const devOnly = [
      ...Object.keys(manifest.devDependencies),
      'ts-jest',
      'jest',
      'typescript',
      'eslint',
      'prettier',
    ];
    // The shim's own node_modules holds what npm could not hoist: it must be as clean as the root one.
    const trees = [
      path.join(app, 'node_modules'),
      path.join(app, 'packages/automation-sdk-shim/node_modules'),
    ];
    const present = trees.flatMap((tree) =>
      devOnly
        .filter((name) => fs.existsSync(path.join(tree, name)))
        .map((name) => path.relative(app, path.join(tree, name))),
    );
    expect(present).toEqual([]);
    expect(fs.existsSync(path.join(app, 'node_modules', '.bin', 'tsc'))).toBe(false);
    for (const name of Object.keys(manifest.dependencies)) {
      expect(fs.existsSync(path.join(app, 'node_modules', name, 'package.json'))).toBe(true);
    }
  });

  describe('the assembled /app against the simulators', () => {
    let pra: PraSimulator;
    let sekoia: SekoiaSimulator;
    let collector: CollectorProcess | undefined;
    let elsewhere: string;

    beforeEach(async () => {
      pra = await startPraSimulator({ closedSessions: 3, openSessions: 0 });
      sekoia = await startSekoiaSimulator({ secrets: { client_secret: 'sim-secret' } });
      // The working directory is not the repository: nothing may depend on it.
      elsewhere = fs.mkdtempSync(path.join(tmp, 'cwd-'));
    });

    afterEach(async () => {
      await collector?.stop('SIGKILL');
      collector = undefined;
      await pra.close();
      await sekoia.close();
    });

    const launch = (command: string): CollectorProcess => {
      const [program, entryPoint] = replay.image.entrypoint ?? [];
      expect(program).toBe('node');
      return CollectorProcess.start(
        platformLaunch(
          { pra, sekoia },
          {
            trigger: { frequency: 2 },
            command,
            entryPoint: hostPath(replay.image, entryPoint),
            cwd: elsewhere,
            // Inside the test's temp dir, so that afterAll removes it with the rest.
            dataDir: fs.mkdtempSync(path.join(tmp, 'data-')),
            env: replay.image.env,
          },
        ),
      );
    };

    it('pull_pra_sessions forwards the sessions to the intake and stops cleanly on SIGTERM', async () => {
      const expected = pra.sessions.reduce((sum, s) => sum + s.events.length, 0);
      collector = launch('pull_pra_sessions');
      await sekoia.waitFor(() => sekoia.eventCount >= expected, 30_000);
      expect(sekoia.eventCount).toBe(expected);
      expect(await collector.stop('SIGTERM')).toEqual({ code: 0, signal: null });
      expect(collector.stderr).toEqual([]);
    });

    it('validate_module_configuration reports success through the callback', async () => {
      sekoia.setPatchReply({ module_configuration: { value: { client_secret: 'sim-secret' } } });
      collector = launch('validate_module_configuration');
      expect(await collector.exited).toEqual({ code: 0, signal: null });
      expect(sekoia.patches.at(-1)).toMatchObject({ status: 'finished', results: { success: true } });
    });
  });
});
