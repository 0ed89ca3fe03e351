/**
 * The Syslog cycle against an in-memory archive that grows and rotates between downloads: every
 * record once, records without `when`, and a state that stays small however long the archive.
 */
import { WindowState, type WindowStateContent } from '../../module/engine/window-state';
import { SyslogCycle } from '../../module/feeds/syslog/cycle';
import { DISORDER_SECONDS, RECENT_TIMES } from '../../module/feeds/syslog/record-clock';
import { newCounts, type SyslogRecord } from '../../module/feeds/syslog/records';
import type { SyslogArchive, SyslogSource } from '../../module/feeds/syslog/source';
import { FakeEnvironment, multiset } from './fakes';

const NOW = 1_800_000_000;
const DAY = 86_400;
const OVERLAP = 600;

/** The appliance's syslog as whole records, oldest first; every download holds all of them. */
class FakeArchive implements SyslogSource {
  readonly records: SyslogRecord[] = [];
  downloads = 0;
  discarded = 0;

  write(when: number | undefined, payload: string): void {
    this.records.push({ payload, when, complete: true });
  }

  async download(): Promise<SyslogArchive> {
    this.downloads += 1;
    const snapshot = [...this.records];
    const counts = newCounts();
    async function* records(): AsyncGenerator<SyslogRecord> {
      for (const record of snapshot) {
        counts.recordsComplete += 1;
        yield record;
      }
    }
    return { records: records(), counts };
  }

  async discard(): Promise<void> {
    this.discarded += 1;
  }
}

function start(
  archive: FakeArchive,
  previous?: FakeEnvironment,
  lookback = DAY,
): { env: FakeEnvironment; cycle: SyslogCycle } {
  const env = new FakeEnvironment(previous?.clock ?? NOW);
  const state = env.attach(
    WindowState.open(previous?.lastSave(), env.clock, lookback, OVERLAP, 'context.json'),
  );
  return { env, cycle: new SyslogCycle(env, state, archive) };
}

const record = (when: number, event: string): string => `site=pra.example.com;when=${when};event=${event}`;

describe('the syslog cycle', () => {
  it('forwards each record once across downloads, identical ones in one second and late ones included', async () => {
    const archive = new FakeArchive();
    archive.write(NOW - 50, record(NOW - 50, 'token'));
    archive.write(NOW - 50, record(NOW - 50, 'token'));
    archive.write(NOW - 10, record(NOW - 10, 'login'));
    const { env, cycle } = start(archive);
    await cycle.run();
    // The next download holds everything again, plus a late token request in a second already sent.
    archive.write(NOW - 50, record(NOW - 50, 'token'));
    archive.write(NOW + 20, record(NOW + 20, 'logout'));
    env.clock += 60;
    await cycle.run();
    env.clock += 60;
    await cycle.run();
    expect(env.intake.accepted).toEqual([
      record(NOW - 50, 'token'),
      record(NOW - 50, 'token'),
      record(NOW - 10, 'login'),
      record(NOW - 50, 'token'),
      record(NOW + 20, 'logout'),
    ]);
    expect(archive.discarded).toBe(3);
  });

  it('gives a record without `when` the time of the one before it, so it is forwarded once', async () => {
    const archive = new FakeArchive();
    archive.write(undefined, 'event=orphan_before_any_time');
    archive.write(NOW - 30, record(NOW - 30, 'login'));
    archive.write(undefined, 'event=user_changed;who=admin');
    archive.write(undefined, 'event=user_changed;who=admin');
    const { env, cycle } = start(archive);
    await cycle.run();
    env.clock += 60;
    await cycle.run();
    expect(env.intake.accepted).toEqual([
      'event=orphan_before_any_time',
      record(NOW - 30, 'login'),
      'event=user_changed;who=admin',
      'event=user_changed;who=admin',
    ]);
  });

  it('keeps the copies of a few minutes, not of the archive, while it forwards a long backlog', async () => {
    // One record every 4 s for a day: 21,600 records.
    const archive = new FakeArchive();
    for (let t = NOW - DAY; t < NOW; t += 4) archive.write(t, record(t, `e${t}`));
    const { env, cycle } = start(archive);
    await cycle.run();
    expect(multiset(env.intake.accepted)).toEqual(multiset(archive.records.map((r) => r.payload)));
    const copies = env.saves.map((json) =>
      Object.values((JSON.parse(json) as WindowStateContent).accepted).reduce(
        (sum, ids) => sum + Object.keys(ids).length,
        0,
      ),
    );
    // Ten minutes of overlap, a minute of disorder and the records between two moves of the watermark.
    expect(Math.max(...copies)).toBeLessThan((OVERLAP + DISORDER_SECONDS) / 4 + 2000 + 100);
    // The oldest of the latest record times, a minute of disorder behind.
    const newest = NOW - 4;
    expect((env.lastSave() as WindowStateContent).watermark).toBe(
      newest - (RECENT_TIMES - 1) * 4 - DISORDER_SECONDS,
    );
  });

  it('repeats nothing after a stop mid-archive, and loses nothing', async () => {
    const archive = new FakeArchive();
    for (let t = NOW - 3000; t < NOW; t += 1) archive.write(t, record(t, `e${t}`));
    const env = new FakeEnvironment(NOW, 5000);
    const state = env.attach(WindowState.open(undefined, NOW, DAY, OVERLAP, 'context.json'));
    env.intake.whenPushed(() => {
      env.stopped = true;
    });
    await new SyslogCycle(env, state, archive).run();
    expect(env.intake.accepted.length).toBeGreaterThan(0);
    expect(env.intake.accepted.length).toBeLessThan(3000);
    const second = start(archive, env);
    await second.cycle.run();
    expect(multiset([...env.intake.accepted, ...second.env.intake.accepted])).toEqual(
      multiset(archive.records.map((r) => r.payload)),
    );
  });

  it("takes over the Python connector's checkpoint: nothing at or before it again", async () => {
    const archive = new FakeArchive();
    const checkpoint = NOW - 2 * DAY;
    for (const t of [checkpoint - 1, checkpoint, checkpoint + 1, NOW - 5]) archive.write(t, record(t, 'x'));
    const env = new FakeEnvironment(NOW);
    const python = {
      most_recent_date_seen: new Date(checkpoint * 1000).toISOString().replace('.000Z', '+00:00'),
    };
    const state = env.attach(WindowState.open(python, NOW, DAY, OVERLAP, 'context.json'));
    await new SyslogCycle(env, state, archive).run();
    expect(env.intake.accepted).toEqual([record(checkpoint + 1, 'x'), record(NOW - 5, 'x')]);
  });
});
