/**
 * The data directory lock, with its clocks, pids and host injected: one holder at a time, a second
 * collector told who holds it, and a lock left behind by a collector that did not stop cleanly
 * recognised as stale, in a container (pid 1 again) or on another host.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {
  DataDirError,
  DataDirLock,
  LOCK_FILE_NAME,
  STALE_AFTER_MS,
  describeHolder,
  type DataDirLockOptions,
} from '../../../module/engine/data-dir-lock';

const T0 = Date.parse('2027-01-15T08:00:00Z');

let dir: string;
beforeEach(() => (dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pra-lock-'))));
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

/** A collector's view of the world: its clocks, pid, host and which pids are running. */
class World {
  wall = T0;
  mono = 0;
  readonly alive = new Set<number>();

  lock(options: DataDirLockOptions = {}): DataDirLock {
    const pid = options.pid ?? 100;
    this.alive.add(pid);
    return new DataDirLock(dir, {
      now: () => this.wall,
      monotonic: () => this.mono,
      host: 'pod-a',
      processStart: this.wall,
      isAlive: (other) => this.alive.has(other),
      ...options,
      pid,
    });
  }

  /** Time passes for everyone. */
  pass(ms: number): void {
    this.wall += ms;
    this.mono += ms;
  }
}

describe('the data directory lock', () => {
  it('has one holder at a time; the other is told who, and takes it once it is released', () => {
    const world = new World();
    const first = world.lock({ pid: 100 });
    const second = world.lock({ pid: 200 });
    expect(first.acquire()).toEqual({ acquired: true });
    const refused = second.acquire();
    expect(refused).toMatchObject({ acquired: false, holder: { pid: 100, host: 'pod-a' } });
    if (!refused.acquired) {
      expect(describeHolder(refused.holder)).toBe(
        'pid 100 on host pod-a, holding it since 2027-01-15T08:00:00.000Z, last seen alive at 2027-01-15T08:00:00.000Z',
      );
    }
    first.release();
    expect(fs.existsSync(path.join(dir, LOCK_FILE_NAME))).toBe(false);
    expect(second.acquire()).toEqual({ acquired: true });
    expect(second.held).toBe(true);
  });

  it('is stale when its pid on this host is not running any more', () => {
    const world = new World();
    world.lock({ pid: 100 }).acquire();
    world.alive.delete(100);
    expect(world.lock({ pid: 200 }).acquire()).toMatchObject({ acquired: true, replaced: { pid: 100 } });
  });

  it('is stale when it names this very pid with a heartbeat older than this process (pid 1 after a restart)', () => {
    const world = new World();
    world.lock({ pid: 1 }).acquire();
    world.pass(5000);
    const restarted = world.lock({ pid: 1, processStart: world.wall });
    expect(restarted.acquire()).toMatchObject({ acquired: true, replaced: { pid: 1 } });
  });

  it('is held when another process with the same pid and host refreshed it since this one started', () => {
    const world = new World();
    const other = world.lock({ pid: 1 });
    other.acquire();
    world.pass(1000);
    const twin = world.lock({ pid: 1, processStart: world.wall });
    world.pass(1000);
    other.refresh();
    expect(twin.acquire()).toMatchObject({ acquired: false });
  });

  it('is held while another host refreshes it, however long, whatever that host clock says', () => {
    const world = new World();
    const other = world.lock({ pid: 7, host: 'pod-b', now: () => world.wall - 3_600_000 });
    other.acquire();
    const waiting = world.lock({ pid: 100 });
    for (let i = 0; i < 40; i++) {
      world.pass(STALE_AFTER_MS / 4);
      expect(other.refresh()).toBeUndefined();
      expect(waiting.acquire().acquired).toBe(false);
    }
  });

  it('is stale once another host stopped refreshing it: unchanged while watched, whatever the clocks say', () => {
    const world = new World();
    world.lock({ pid: 7, host: 'pod-b' }).acquire();
    world.pass(STALE_AFTER_MS + 1);
    const waiting = world.lock({ pid: 100 });
    // Its heartbeat is old by this clock: it does not look alive, but only watching it tells.
    expect(waiting.acquire()).toMatchObject({ acquired: false, refreshed: false });
    world.pass(STALE_AFTER_MS - 1);
    expect(waiting.acquire().acquired).toBe(false);
    world.pass(1);
    expect(waiting.acquire()).toMatchObject({ acquired: true, replaced: { host: 'pod-b' } });

    waiting.release();
    // A host whose clock is an hour ahead: its heartbeat looks fresh, until watched long enough.
    world.lock({ pid: 7, host: 'pod-c', now: () => world.wall + 3_600_000 }).acquire();
    const next = world.lock({ pid: 300 });
    expect(next.acquire()).toMatchObject({ acquired: false, refreshed: true });
    world.pass(STALE_AFTER_MS);
    expect(next.acquire()).toMatchObject({ acquired: true, replaced: { host: 'pod-c' } });
  });

  it('says a lock that looked abandoned is alive as soon as it is seen refreshed', () => {
    const world = new World();
    const other = world.lock({ pid: 7, host: 'pod-b', now: () => world.wall - 3_600_000 });
    other.acquire();
    const waiting = world.lock({ pid: 100 });
    expect(waiting.acquire()).toMatchObject({ acquired: false, refreshed: false });
    world.pass(30_000);
    other.refresh();
    expect(waiting.acquire()).toMatchObject({ acquired: false, refreshed: true });
  });

  it('tells a holder that another collector took it over, so that it stops collecting', () => {
    const world = new World();
    const first = world.lock({ pid: 100 });
    first.acquire();
    world.alive.delete(100);
    const second = world.lock({ pid: 200 });
    expect(second.acquire().acquired).toBe(true);
    expect(first.refresh()).toMatchObject({ pid: 200 });
    expect(first.held).toBe(false);
    // Releasing a lock it lost leaves the new holder's in place.
    first.release();
    expect(second.refresh()).toBeUndefined();
  });

  it('takes its lock again when it was removed by hand', () => {
    const world = new World();
    const lock = world.lock();
    lock.acquire();
    fs.rmSync(lock.path);
    expect(lock.refresh()).toBeUndefined();
    expect(fs.existsSync(lock.path)).toBe(true);
  });

  it('never throws from a refresh, which runs on a timer, even once its directory is gone', () => {
    const world = new World();
    const lock = world.lock();
    lock.acquire();
    fs.rmSync(dir, { recursive: true });
    expect(lock.refresh()).toBeUndefined();
    fs.mkdirSync(dir);
  });

  it('takes over a lock that is a directory once it stays so, without throwing', () => {
    const world = new World();
    fs.mkdirSync(path.join(dir, LOCK_FILE_NAME, 'inside'), { recursive: true });
    const lock = world.lock();
    expect(lock.acquire().acquired).toBe(false);
    world.pass(STALE_AFTER_MS);
    expect(lock.acquire().acquired).toBe(true);
  });

  it('waits for a lock file half written, then takes it over if it stays so', () => {
    const world = new World();
    fs.writeFileSync(path.join(dir, LOCK_FILE_NAME), '');
    const lock = world.lock();
    expect(lock.acquire()).toEqual({ acquired: false, holder: {}, refreshed: false });
    world.pass(STALE_AFTER_MS);
    expect(lock.acquire()).toMatchObject({ acquired: true });
  });

  it('says the directory cannot be used when it is a file, or cannot be created', () => {
    const file = path.join(dir, 'data');
    fs.writeFileSync(file, '');
    expect(() => new DataDirLock(file).acquire()).toThrow(DataDirError);
    expect(() => new DataDirLock(file).acquire()).toThrow(
      `The data directory ${file} cannot be used (not a directory)`,
    );
    expect(() => new DataDirLock(path.join(file, 'sub')).acquire()).toThrow(/cannot be used \(ENOTDIR\)/);
  });
});
