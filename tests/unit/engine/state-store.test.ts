/**
 * The state file as the store reads and writes it: secrets masked before anything is written, an
 * unreadable file moved aside, and a clear error, never a raw exception, when even that fails.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { JsonStateFile, SecretMasker, StateFileError } from '@sekoia/automation-sdk-shim';
import { StateStore, StateUnusableError } from '../../../module/engine/state-store';
import { SessionFeedState, type StateFileContent } from '../../../module/feeds/sessions/state';

const NOW = 1_800_000_000;
const CLIENT_SECRET = 'SECRET-client-7f3a9c';
const ACCESS_TOKEN = 'ACCESS-TOKEN-d41d8cd98f00b204';
const INTAKE_KEY = 'INTAKE-KEY-51b2e8';

let dir: string;
beforeEach(() => (dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pra-store-'))));
afterEach(() => {
  jest.restoreAllMocks();
  fs.rmSync(dir, { recursive: true, force: true });
});

const open = (saved: unknown): SessionFeedState => SessionFeedState.open(saved, NOW, 3600, 'context.json');
const fail = (problem: Error): never => {
  throw problem;
};

describe('saving the state', () => {
  it('masks every secret in every string of it, as the logs do', () => {
    const masker = new SecretMasker();
    for (const secret of [CLIENT_SECRET, ACCESS_TOKEN, INTAKE_KEY]) masker.add(secret);
    const store = new StateStore(dir, { mask: (text) => masker.mask(text) });
    const state = open(undefined);
    state.track('s1', NOW);
    // PRA echoing the request in an error text: the secret and the token, one JSON-escaped.
    state.recordFailure('s1', `invalid_client ${CLIENT_SECRET} for Bearer "${ACCESS_TOKEN}"`, 5, NOW);
    state.track('s2', NOW);
    state.recordFailure('s2', `intake ${INTAKE_KEY} refused`, 1, NOW);
    store.save(state);
    const text = fs.readFileSync(store.path, 'utf8');
    for (const secret of [CLIENT_SECRET, ACCESS_TOKEN, INTAKE_KEY]) expect(text).not.toContain(secret);
    const saved = JSON.parse(text) as StateFileContent;
    expect(saved.tracked.s1.lastError).toBe('invalid_client *** for Bearer "***"');
    expect(saved.set_aside.s2.error).toBe('intake *** refused');
    // The state in memory keeps its own text: only what leaves the process is masked.
    expect(state.tracked('s1')?.lastError).toContain(CLIENT_SECRET);
  });

  it('masks a secret that JSON escapes, and never cuts through the JSON text around a secret', () => {
    const masker = new SecretMasker();
    // One with a quote and a backslash; one made of digits, as found in the text of any watermark.
    masker.add('pa"ss\\word');
    masker.add(String(NOW).slice(2, 8));
    const store = new StateStore(dir, { mask: (text) => masker.mask(text) });
    const state = open(undefined);
    state.track('s1', NOW);
    state.recordFailure('s1', 'refused pa"ss\\word', 5, NOW);
    state.advanceTo(NOW, 300);
    store.save(state);
    const saved = JSON.parse(fs.readFileSync(store.path, 'utf8')) as StateFileContent;
    expect(saved.tracked.s1.lastError).toBe('refused ***');
    expect(saved.watermark).toBe(NOW);
  });

  it('writes the plain JSON when no string holds a secret', () => {
    const masker = new SecretMasker();
    masker.add(CLIENT_SECRET);
    const store = new StateStore(dir, { mask: (text) => masker.mask(text) });
    const state = open(undefined);
    state.track('s1', NOW);
    state.recordFailure('s1', 'HTTP 500', 5, NOW);
    store.save(state);
    expect(fs.readFileSync(store.path, 'utf8')).toBe(JSON.stringify(state.toJSON()));
  });
});

describe('an unreadable state file', () => {
  it('is moved aside when it is not JSON, and collection starts afresh', () => {
    const store = new StateStore(dir, { now: () => 1234 });
    fs.writeFileSync(store.path, '{"version": 2,');
    const moved: string[] = [];
    const state = store.load(open, (problem, aside) => moved.push(`${problem.message} -> ${aside}`));
    expect(state.trackedCount).toBe(0);
    expect(moved).toEqual([`State file ${store.path}: is not valid JSON -> ${store.path}.unreadable-1234`]);
    expect(fs.readFileSync(`${store.path}.unreadable-1234`, 'utf8')).toBe('{"version": 2,');
  });

  it('is moved aside when it is a directory, and the next save works', () => {
    const store = new StateStore(dir, { now: () => 1 });
    fs.mkdirSync(path.join(store.path, 'inside'), { recursive: true });
    const reasons: string[] = [];
    const state = store.load(open, (problem) => reasons.push(problem.message));
    expect(reasons).toEqual([`State file ${store.path}: is not a regular file (a directory)`]);
    store.save(state);
    expect(fs.statSync(store.path).isFile()).toBe(true);
  });

  it('does not block on a FIFO left at its path', () => {
    const store = new StateStore(dir, { now: () => 2 });
    execFileSync('mkfifo', [store.path]);
    const reasons: string[] = [];
    store.load(open, (problem) => reasons.push(problem.message));
    expect(reasons).toEqual([`State file ${store.path}: is not a regular file (a special file)`]);
  });

  it('throws StateUnusableError, naming both problems, when it cannot be moved aside', () => {
    const store = new StateStore(dir);
    fs.writeFileSync(store.path, 'not json');
    const rename = jest.spyOn(fs, 'renameSync').mockImplementation(() => {
      throw Object.assign(new Error('read-only file system'), { code: 'EROFS' });
    });
    expect(() => store.load(open, fail)).toThrow(StateUnusableError);
    expect(() => store.load(open, fail)).toThrow(
      `State file ${store.path}: is not valid JSON. It could not be moved aside either (EROFS). Make the data ` +
        `directory ${dir} writable by the collector, or move ${store.path} away yourself.`,
    );
    expect(rename).toHaveBeenCalled();
  });

  it('throws StateUnusableError when the data directory is a file', () => {
    const notADirectory = path.join(dir, 'data');
    fs.writeFileSync(notADirectory, '');
    const store = new StateStore(notADirectory);
    expect(() => store.load(open, fail)).toThrow(
      /cannot be read \(ENOTDIR\)\. It could not be moved aside either \(ENOTDIR\)/,
    );
  });

  it('refuses a file larger than a state this module can write, unread', () => {
    const file = new JsonStateFile(path.join(dir, 'big.json'), { maxBytes: 10 });
    fs.writeFileSync(file.path, JSON.stringify({ padding: 'x'.repeat(20) }));
    expect(() => file.read()).toThrow(StateFileError);
    expect(() => file.read()).toThrow('is larger than 10 bytes (34)');
  });
});
