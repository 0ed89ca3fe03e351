/**
 * The Syslog cycle against an in-memory archive that grows and rotates between downloads: every
 * record once, records without `when`, and a state that stays small however long the archive.
 */
import { TimedEventsState, type TimedEventsStateContent } from '../../../module/engine/timed-events-state';
import { SyslogCycle } from '../../../module/feeds/syslog/cycle';
import { DISORDER_SECONDS, RECENT_TIMES } from '../../../module/feeds/syslog/record-clock';
import {
  ABANDONED_AFTER_SECONDS,
  newCounts,
  reassembleRecords,
  type SyslogRecord,
} from '../../../module/feeds/syslog/records';
import type { SyslogArchive, SyslogSource } from '../../../module/feeds/syslog/source';
import { segment } from '../feeds/syslog/helpers';
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

/** The appliance's syslog as lines, segments of messages included; every download holds all of them. */
class FakeSyslogFile implements SyslogSource {
  readonly lines: string[] = [];

  /** Segment `index` of `total` from the sender `pid`. */
  write(pid: number, index: number, total: number, payload: string): void {
    this.lines.push(segment(pid, index, total, payload));
  }

  async download(): Promise<SyslogArchive> {
    const snapshot = this.lines.map((line) => Buffer.from(line));
    async function* lines(): AsyncGenerator<Buffer> {
      yield* snapshot;
    }
    const counts = newCounts();
    return { records: reassembleRecords(lines(), counts), counts };
  }

  async discard(): Promise<void> {}
}

function start(
  archive: SyslogSource,
  previous?: FakeEnvironment,
  lookback = DAY,
): { env: FakeEnvironment; cycle: SyslogCycle } {
  const env = new FakeEnvironment(previous?.clock ?? NOW);
  const state = env.attach(
    TimedEventsState.open(previous?.lastSave(), env.clock, lookback, OVERLAP, 'context.json'),
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

  it('forwards once, incomplete, a message whose sender died mid-way, when newer records show it', async () => {
    const file = new FakeSyslogFile();
    file.write(1, 1, 1, record(NOW - 1000, 'a'));
    file.write(2, 1, 2, `${record(NOW - 990, 'cut')};who=`);
    file.write(1, 1, 1, record(NOW - 980, 'b'));
    const { env, cycle } = start(file);
    await cycle.run();
    // Still being written, as far as this download tells: it waits.
    expect(env.intake.accepted).toEqual([record(NOW - 1000, 'a'), record(NOW - 980, 'b')]);
    const later = NOW - 980 + ABANDONED_AFTER_SECONDS + 1;
    file.write(1, 1, 1, record(later, 'c'));
    env.clock += 600;
    await cycle.run();
    file.write(1, 1, 1, record(later + 1, 'd'));
    env.clock += 600;
    await cycle.run();
    expect(env.intake.accepted).toEqual([
      record(NOW - 1000, 'a'),
      record(NOW - 980, 'b'),
      `${record(NOW - 990, 'cut')};who=`,
      record(later, 'c'),
      record(later + 1, 'd'),
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
      Object.values((JSON.parse(json) as TimedEventsStateContent).accepted).reduce(
        (sum, ids) => sum + Object.keys(ids).length,
        0,
      ),
    );
    // Ten minutes of overlap, a minute of disorder and the records between two moves of the watermark.
    expect(Math.max(...copies)).toBeLessThan((OVERLAP + DISORDER_SECONDS) / 4 + 2000 + 100);
    // The oldest of the latest record times, a minute of disorder behind.
    const newest = NOW - 4;
    expect((env.lastSave() as TimedEventsStateContent).watermark).toBe(
      newest - (RECENT_TIMES - 1) * 4 - DISORDER_SECONDS,
    );
  });

  it('repeats nothing after a stop mid-archive, and loses nothing', async () => {
    const archive = new FakeArchive();
    for (let t = NOW - 3000; t < NOW; t += 1) archive.write(t, record(t, `e${t}`));
    const env = new FakeEnvironment(NOW, 5000);
    const state = env.attach(TimedEventsState.open(undefined, NOW, DAY, OVERLAP, 'context.json'));
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
    const state = env.attach(TimedEventsState.open(python, NOW, DAY, OVERLAP, 'context.json'));
    await new SyslogCycle(env, state, archive).run();
    expect(env.intake.accepted).toEqual([record(checkpoint + 1, 'x'), record(NOW - 5, 'x')]);
  });
});
