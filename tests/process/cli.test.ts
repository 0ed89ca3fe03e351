/**
 * Runs the built CLI as a child process, as an operator would. `npm test` builds first; alone, run
 * `npx tsc -b` before jest.
 */
import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { segment, textMember } from '../unit/feeds/syslog/helpers';
import { TempDir } from '../support/temp-file';
import { zipBytes } from '../support/zip-archive';
import { fixture } from '../support/parsing';
import { REPO_ROOT } from '../support/paths';

const ROOT = REPO_ROOT;
const CLI = join(ROOT, 'dist', 'cli.js');
const FIXTURES = join(ROOT, 'tests', 'fixtures');
const VAULT_REPORT = join(ROOT, 'tests', 'unit', 'feeds', 'vault', 'report.xml');
const TEAM_REPORT = join(ROOT, 'tests', 'unit', 'feeds', 'team', 'report.xml');

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

function run(args: string[], stdin?: string | Buffer): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, ...args], { cwd: FIXTURES });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (text: string) => (stdout += text));
    child.stderr.setEncoding('utf8').on('data', (text: string) => (stderr += text));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
    child.stdin.end(stdin);
  });
}

beforeAll(() => {
  if (!existsSync(CLI)) throw new Error(`${CLI} is missing: run \`npx tsc -b\` (npm test does) first`);
});

describe('pra parse', () => {
  it('prints one compact JSON event per line, the contract example exactly', async () => {
    const result = await run(['parse', 'contract-example.xml']);
    expect(result).toMatchObject({ code: 0, stderr: '' });
    const lines = result.stdout.split('\n');
    expect(lines).toHaveLength(2);
    expect(lines[1]).toBe('');
    expect(lines[0]).toMatch(/^\{"timestamp":"1764150000","event_type":"Chat Message","performed_by":/);
    expect(JSON.parse(lines[0])).toMatchObject({
      body: 'Starting maintenance <CHG-42>',
      jump_group: { name: 'DBA & Ops' },
    });
  });

  it('reads stdin when the file is -', async () => {
    const fromFile = await run(['parse', 'all-event-types.xml']);
    const fromStdin = await run(['parse', '-'], fixture('all-event-types.xml'));
    expect(fromStdin.code).toBe(0);
    expect(fromStdin.stdout.trimEnd().split('\n')).toHaveLength(28);
    expect(fromStdin.stdout).toBe(fromFile.stdout);
  });

  it('prints the lsids of a listing with --listing', async () => {
    const result = await run(
      ['parse', '--listing', '-'],
      '<session_summary_list><session_summary lsid="a1"/><session_summary lsid="b2"/></session_summary_list>',
    );
    expect(result).toStrictEqual({ code: 0, stdout: 'a1\nb2\n', stderr: '' });
  });

  it('malformed XML: exit 1 and one line on stderr with line and column', async () => {
    const result = await run(['parse', '-'], '<session_list>\n <session lsid="a">\n  <x a=1/>');
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(
      /^pra: <stdin>: malformed XML at line 3, column \d+: unquoted attribute value\.\n$/,
    );
  });

  it('an <error> reply: exit 1 and one line', async () => {
    const result = await run(['parse', '-'], '<error>Invalid lsid.</error>');
    expect(result.code).toBe(1);
    expect(result.stderr).toBe('pra: <stdin>: PRA reporting API answered with an error: Invalid lsid.\n');
  });

  it('a missing file: exit 1 and one line naming it', async () => {
    const result = await run(['parse', 'no-such-report.xml']);
    expect(result.code).toBe(1);
    expect(result.stdout).toBe('');
    expect(result.stderr).toMatch(/^pra: no-such-report\.xml: cannot read: ENOENT[^\n]*\n$/);
  });

  it('usage errors exit 2', async () => {
    expect((await run(['parse'])).code).toBe(2);
    expect((await run(['parse', '--bogus', 'x.xml'])).code).toBe(2);
    expect((await run(['frobnicate'])).code).toBe(2);
    expect((await run(['--help'])).code).toBe(0);
  });

  it('recognises Vault and Team reports by their root element and prints their events as forwarded', async () => {
    const vault = await run(['parse', VAULT_REPORT]);
    expect(vault).toMatchObject({ code: 0, stderr: '' });
    const vaultEvents = vault.stdout
      .trimEnd()
      .split('\n')
      .map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(vaultEvents.length).toBeGreaterThan(1);
    expect(vaultEvents[0]).toHaveProperty('account_id');
    const team = await run(['parse', '-'], readFileSync(TEAM_REPORT));
    expect(team).toMatchObject({ code: 0, stderr: '' });
    expect(JSON.parse(team.stdout.split('\n')[0] as string)).toHaveProperty('team');
  });

  it('prints one reassembled payload a line for a Syslog ZIP, from a file or stdin', async () => {
    const zip = await zipBytes([
      textMember('syslog', [segment(42, 1, 2, 'when=1765443051;ev'), segment(42, 2, 2, 'ent=login')]),
    ]);
    const fromStdin = await run(['parse', '-'], zip);
    expect(fromStdin).toStrictEqual({ code: 0, stdout: 'when=1765443051;event=login\n', stderr: '' });
    const dir = new TempDir();
    try {
      expect(await run(['parse', dir.write('syslog.zip', zip)])).toStrictEqual(fromStdin);
    } finally {
      dir.remove();
    }
  });

  it('--report names a report its start does not tell; an unknown name is a usage error', async () => {
    const forced = await run(['parse', '--report', 'vaultaccountactivity', '-'], '<list/>');
    expect(forced.code).toBe(1);
    expect(forced.stderr).toMatch(/unexpected root element <list>, expected <vault_account_activity_list>/);
    const unknown = await run(['parse', '--report', 'Sessions', '-'], '<session_list/>');
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(/unknown report Sessions; one of AccessSession, AccessSessionListing/);
    const unrecognised = await run(['parse', '-'], 'just text');
    expect(unrecognised.code).toBe(1);
    expect(unrecognised.stderr).toMatch(/name it with --report/);
  });

  it("reads PRA's no-data <error> as nothing to print", async () => {
    const noData = await run(
      ['parse', '-'],
      '<error>No vault account activity matching your chosen criteria is available.</error>',
    );
    expect(noData).toStrictEqual({ code: 0, stdout: '', stderr: '' });
  });
});
