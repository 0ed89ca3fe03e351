/**
 * Supply chain, checked offline: the production dependency list stays the expected small set, the
 * README states the installed count the lock file gives, the audit script decides on the right
 * findings, and the Dockerfile's runtime stage holds no dev dependency.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { tempFile } from '../../support/temp-file';
import { REPO_ROOT } from '../../support/paths';

const ROOT = REPO_ROOT;

function json(file: string): Record<string, unknown> {
  return JSON.parse(fs.readFileSync(path.join(ROOT, file), 'utf8')) as Record<string, unknown>;
}

function names(section: unknown): string[] {
  return Object.keys((section ?? {}) as Record<string, string>).sort();
}

interface LockEntry {
  version?: string;
  dev?: boolean;
  link?: boolean;
}

/** Lock file paths of the packages a production install puts on disk (workspace links excluded). */
function productionInstalls(): string[] {
  const packages = json('package-lock.json').packages as Record<string, LockEntry>;
  return Object.entries(packages)
    .filter(([key, entry]) => key.includes('node_modules/') && !entry.dev && !entry.link)
    .map(([key]) => key);
}

/** The Dockerfile's instructions, continuation lines joined. */
function instructions(): string[] {
  return fs
    .readFileSync(path.join(ROOT, 'Dockerfile'), 'utf8')
    .replace(/\\\n/g, ' ')
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '' && !line.startsWith('#'));
}

/** The instructions after the last FROM. */
function runtimeStage(): string[] {
  const lines = instructions();
  const from = lines.map((line) => /^FROM\b/i.test(line)).lastIndexOf(true);
  return lines.slice(from + 1);
}

describe('production dependencies', () => {
  it('are exactly the expected small set, and never also dev dependencies', () => {
    const root = json('package.json');
    const shim = json('packages/automation-sdk-shim/package.json');
    expect(names(root.dependencies)).toEqual([
      '@sekoia/automation-sdk-shim',
      'axios',
      'commander',
      'prom-client',
      'saxes',
      'yauzl',
    ]);
    expect(names(shim.dependencies)).toEqual(['ajv', 'ajv-formats', 'axios', 'prom-client', 'winston']);
    const dev = new Set(names(root.devDependencies));
    expect(
      [...names(root.dependencies), ...names(shim.dependencies)].filter((name) => dev.has(name)),
    ).toEqual([]);
    expect(names(shim.devDependencies)).toEqual([]);
  });

  it('install the number of packages the README states', () => {
    const readme = fs.readFileSync(path.join(ROOT, 'README.md'), 'utf8');
    const stated = /\*\*(\d+) production packages\*\*/.exec(readme)?.[1];
    expect(Number(stated)).toBe(productionInstalls().length);
  });
});

describe('scripts/audit-production.mjs', () => {
  function audit(report: unknown, env: Record<string, string> = {}): { code: number; output: string } {
    const saved = tempFile('audit.json', JSON.stringify(report));
    try {
      const run = spawnSync(process.execPath, ['scripts/audit-production.mjs', '--report', saved.path], {
        cwd: ROOT,
        env: { PATH: process.env.PATH, ...env },
        encoding: 'utf8',
      });
      return { code: run.status ?? -1, output: run.stdout + run.stderr };
    } finally {
      saved.remove();
    }
  }

  const counts = (high: number, critical: number) => ({
    metadata: {
      vulnerabilities: { info: 0, low: 2, moderate: 1, high, critical, total: 3 + high + critical },
    },
  });

  it('passes with moderate and low findings only', () => {
    expect(audit({ ...counts(0, 0), vulnerabilities: { a: { name: 'a', severity: 'moderate' } } })).toEqual({
      code: 0,
      output: 'npm audit (production): 0 critical, 0 high, 1 moderate, 2 low\n',
    });
  });

  it('fails on a high or a critical finding and names it', () => {
    const high = audit({
      ...counts(1, 0),
      vulnerabilities: { axios: { name: 'axios', severity: 'high', range: '<1.2' } },
    });
    expect(high.code).toBe(1);
    expect(high.output).toContain('high: axios <1.2');
    expect(audit(counts(0, 1)).code).toBe(1);
  });

  it('says when the advisory service cannot answer, and fails only if the audit is required', () => {
    const outage = { message: '405 Method Not Allowed', statusCode: 405 };
    expect(audit(outage)).toEqual({ code: 0, output: 'npm audit could not run: 405 Method Not Allowed\n' });
    expect(audit(outage, { AUDIT_REQUIRED: '1' }).code).toBe(2);
  });
});

describe('Dockerfile runtime stage', () => {
  it('installs nothing and takes node_modules only from the pruned build stage', () => {
    const all = instructions();
    const install = all.findIndex((line) => /^RUN\b.*\bnpm ci\b/.test(line));
    const prune = all.findIndex((line) => /^RUN\b.*\bnpm prune --omit=dev\b/.test(line));
    const runtime = all.map((line) => /^FROM\b/i.test(line)).lastIndexOf(true);
    expect(install).toBeGreaterThan(0);
    expect(prune).toBeGreaterThan(install);
    expect(prune).toBeLessThan(runtime);
    const stage = runtimeStage();
    expect(stage.filter((line) => /\bnpm\b|\byarn\b|\bpnpm\b/.test(line))).toEqual([]);
    const modules = stage.filter((line) => /^COPY\b.*node_modules/.test(line));
    expect(modules.length).toBeGreaterThan(0);
    for (const line of modules) expect(line).toMatch(/^COPY --from=build /);
    expect(stage).toContain('ENV NODE_ENV=production');
    expect(stage.filter((line) => /^COPY\b.*\b(simulator|tests|scripts|bench)\b/.test(line))).toEqual([]);
  });

  // After the prune, the shim's ajv 8 lives only in packages/automation-sdk-shim/node_modules (the
  // root ajv is eslint's v6, a dev dependency): an image without that directory cannot load the shim.
  it('copies every node_modules directory that holds production packages', () => {
    const copied = runtimeStage()
      .filter((line) => /^COPY --from=build /.test(line))
      .map((line) => line.split(/\s+/).at(-2) ?? '');
    const needed = new Set(
      productionInstalls().map((key) => `/build/${key.slice(0, key.indexOf('node_modules/'))}node_modules`),
    );
    expect([...needed].filter((dir) => !copied.includes(dir))).toEqual([]);
  });
});
