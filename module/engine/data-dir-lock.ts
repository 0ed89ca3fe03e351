/**
 * One collector per data directory. Two collectors started on the same directory by mistake would
 * each keep their own progress and forward everything twice, without a word; the second one must
 * see the first and stand by instead.
 *
 * The lock is a file created with O_EXCL (`collector.lock`) holding who holds it: pid, host name, a
 * random token and a heartbeat the holder rewrites every LOCK_REFRESH_MS. It is released on a clean
 * stop. A lock left by a collector that did not stop cleanly is stale when:
 * - it names this host and a pid that is not running; or this very pid with a heartbeat older than
 *   this process (in a container the collector is pid 1 after every restart: a pid check alone
 *   would take the previous life's lock for a live one);
 * - it has not changed for STALE_AFTER_MS of this process's own monotonic time while watched (a
 *   holder on another host). Its heartbeat's age by the wall clock is not enough: hosts' clocks
 *   disagree, and a clock may jump. That age only says whether the holder looks alive
 *   (`refreshed`): a lock that does not may be one left behind, and is reported more quietly.
 * A holder checks at each refresh that the lock is still its own: if another collector took it (it
 * judged this one stale, or won a race), this one learns it lost the lock and stops collecting.
 */
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export const LOCK_FILE_NAME = 'collector.lock';
/** How often the holder rewrites its heartbeat. */
export const LOCK_REFRESH_MS = 30_000;
/** Ten missed refreshes: the holder is gone (or frozen so long that it is as good as gone). */
export const STALE_AFTER_MS = 10 * LOCK_REFRESH_MS;

/** Who holds a lock, as its file says; fields are absent when the file is unreadable or half written. */
export interface LockHolder {
  pid?: number;
  host?: string;
  token?: string;
  /** ISO 8601: when it took the lock, and when it last refreshed it. */
  since?: string;
  heartbeat?: string;
}

export type LockOutcome =
  | { acquired: true; replaced?: LockHolder }
  /** `refreshed`: its holder is alive (seen refreshing it, or a recent heartbeat); else it may be a lock left behind. */
  | { acquired: false; holder: LockHolder; refreshed: boolean };

/** The directory cannot hold a lock at all (not a directory, not writable): the collector cannot run there. */
export class DataDirError extends Error {
  constructor(dir: string, code: string) {
    super(
      `The data directory ${dir} cannot be used (${code}): the collector keeps its state and a lock ` +
        'there. Give it a directory it can create and write files in.',
    );
    this.name = 'DataDirError';
  }
}

export interface DataDirLockOptions {
  /** Wall clock, ms. */
  now?: () => number;
  /** Monotonic clock, ms. */
  monotonic?: () => number;
  pid?: number;
  host?: string;
  /** When this process started, wall clock ms. */
  processStart?: number;
  isAlive?: (pid: number) => boolean;
}

interface SeenLock {
  text: string;
  holder: LockHolder;
}

export class DataDirLock {
  readonly path: string;
  private readonly now: () => number;
  private readonly monotonic: () => number;
  private readonly pid: number;
  private readonly host: string;
  private readonly processStart: number;
  private readonly isAlive: (pid: number) => boolean;
  private readonly token = randomBytes(12).toString('hex');
  private since = '';
  private isHeld = false;
  /** The other holder's lock as last seen, since when (monotonic) it has not changed, and whether it ever did. */
  private watched: { text: string; since: number; changed: boolean } | undefined;

  constructor(
    readonly dir: string,
    options: DataDirLockOptions = {},
  ) {
    this.path = path.join(dir, LOCK_FILE_NAME);
    this.now = options.now ?? Date.now;
    this.monotonic = options.monotonic ?? (() => performance.now());
    this.pid = options.pid ?? process.pid;
    this.host = options.host ?? os.hostname();
    this.processStart = options.processStart ?? Date.now() - process.uptime() * 1000;
    this.isAlive = options.isAlive ?? processIsAlive;
  }

  get held(): boolean {
    return this.isHeld;
  }

  /** Takes the lock, breaking a stale one, or says who holds it. Throws DataDirError when the directory cannot hold one. */
  acquire(): LockOutcome {
    try {
      fs.mkdirSync(this.dir, { recursive: true });
    } catch (error) {
      // mkdir's EEXIST: something that is not a directory is there.
      throw new DataDirError(this.dir, errorCode(error) === 'EEXIST' ? 'not a directory' : errorCode(error));
    }
    let replaced: LockHolder | undefined;
    // Each turn either takes the lock or finds it held; a few turns only when others race for it.
    for (let turn = 0; turn < 3; turn++) {
      if (this.create()) return { acquired: true, ...(replaced && { replaced }) };
      const seen = this.read();
      if (seen === undefined) continue;
      if (!this.isStale(seen))
        return { acquired: false, holder: seen.holder, refreshed: this.looksAlive(seen) };
      this.breakStale(seen.text);
      replaced = seen.holder;
    }
    return { acquired: false, holder: this.read()?.holder ?? {}, refreshed: true };
  }

  /**
   * Rewrites the heartbeat. Undefined while the lock is still this collector's; the new holder once
   * another one took it (this one must then stop collecting).
   */
  refresh(): LockHolder | undefined {
    if (!this.isHeld) return {};
    const seen = this.read();
    try {
      // Removed by hand: still nobody else's, so taken again.
      if (seen === undefined && this.create()) return undefined;
    } catch {
      // The directory itself is gone or failing (this runs on a timer: nothing may throw): the state save will say so.
      return undefined;
    }
    if (seen?.holder.token !== this.token) {
      this.isHeld = false;
      return seen?.holder ?? this.read()?.holder ?? {};
    }
    const temp = `${this.path}.${this.token}.tmp`;
    try {
      fs.writeFileSync(temp, this.content());
      fs.renameSync(temp, this.path);
    } catch {
      // A full or failing disk: the heartbeat is late, and the state save will say why.
      removeQuietly(temp);
    }
    return undefined;
  }

  /** Removes the lock if it is still this collector's. */
  release(): void {
    if (!this.isHeld) return;
    this.isHeld = false;
    if (this.read()?.holder.token !== this.token) return;
    // Left behind if that fails: the next collector finds it stale (this pid is not running any more).
    removeQuietly(this.path);
  }

  private create(): boolean {
    this.since = new Date(this.now()).toISOString();
    try {
      fs.writeFileSync(this.path, this.content(), { flag: 'wx', mode: 0o644 });
    } catch (error) {
      if (errorCode(error) === 'EEXIST') return false;
      throw new DataDirError(this.dir, errorCode(error));
    }
    this.isHeld = true;
    this.watched = undefined;
    return true;
  }

  private content(): string {
    const heartbeat = new Date(this.now()).toISOString();
    return JSON.stringify({
      pid: this.pid,
      host: this.host,
      token: this.token,
      since: this.since,
      heartbeat,
    });
  }

  /** The lock file as it is now; undefined when there is none. */
  private read(): SeenLock | undefined {
    let text: string;
    try {
      text = fs.readFileSync(this.path, 'utf8');
    } catch (error) {
      if (errorCode(error) === 'ENOENT') return undefined;
      // Unreadable, but there: held by someone this collector cannot see.
      return { text: '', holder: {} };
    }
    return { text, holder: parseHolder(text) };
  }

  private isStale({ text, holder }: SeenLock): boolean {
    if (holder.host === this.host && holder.pid !== undefined) {
      if (holder.pid === this.pid && heartbeatOf(holder) < this.processStart) return true;
      if (holder.pid !== this.pid && !this.isAlive(holder.pid)) return true;
    }
    if (this.watched?.text !== text) {
      this.watched = { text, since: this.monotonic(), changed: this.watched !== undefined };
      return false;
    }
    return this.monotonic() - this.watched.since >= STALE_AFTER_MS;
  }

  /** Seen refreshing it while watched, or a heartbeat recent by this host's clock. */
  private looksAlive(seen: SeenLock): boolean {
    return this.watched?.changed === true || this.now() - heartbeatOf(seen.holder) <= STALE_AFTER_MS;
  }

  /**
   * Moves the stale lock out of the way. Another collector may have replaced it between the read
   * and the rename: what was moved is then that one's live lock, and it is put back.
   */
  private breakStale(staleText: string): void {
    const aside = `${this.path}.stale-${this.token}`;
    try {
      fs.renameSync(this.path, aside);
    } catch {
      return;
    }
    try {
      if (fs.readFileSync(aside, 'utf8') !== staleText) fs.linkSync(aside, this.path);
    } catch {
      // Taken again meanwhile: that collector holds it.
    } finally {
      removeQuietly(aside);
    }
  }
}

/** Who holds the lock, in words, for the logs. */
export function describeHolder(holder: LockHolder): string {
  if (holder.pid === undefined) return 'a collector whose lock file cannot be read';
  const parts = [`pid ${holder.pid}${holder.host ? ` on host ${holder.host}` : ''}`];
  if (holder.since) parts.push(`holding it since ${holder.since}`);
  if (holder.heartbeat) parts.push(`last seen alive at ${holder.heartbeat}`);
  return parts.join(', ');
}

/** The holder's heartbeat in wall-clock ms; NaN when it has none. */
function heartbeatOf(holder: LockHolder): number {
  return holder.heartbeat === undefined ? Number.NaN : Date.parse(holder.heartbeat);
}

function parseHolder(text: string): LockHolder {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return {};
  }
  if (typeof parsed !== 'object' || parsed === null) return {};
  const { pid, host, token, since, heartbeat } = parsed as Record<string, unknown>;
  const holder: LockHolder = {};
  if (Number.isSafeInteger(pid) && (pid as number) > 0) holder.pid = pid as number;
  if (typeof host === 'string') holder.host = host;
  if (typeof token === 'string') holder.token = token;
  if (typeof since === 'string') holder.since = since;
  if (typeof heartbeat === 'string') holder.heartbeat = heartbeat;
  return holder;
}

/** Removes a file; what cannot be removed (a directory left at its path) stays, it harms nothing. */
function removeQuietly(file: string): void {
  try {
    fs.rmSync(file, { force: true });
  } catch {
    // Nothing to do: each caller says what a file left behind means.
  }
}

function processIsAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: it exists, it is just not ours to signal.
    return errorCode(error) === 'EPERM';
  }
}

function errorCode(error: unknown): string {
  return (error as NodeJS.ErrnoException).code ?? (error as Error).message;
}
