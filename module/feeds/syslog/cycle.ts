/**
 * One cycle of the Syslog feed: download the whole archive, read its records oldest first, forward
 * those the intake has not accepted yet (by their time and copies, as for the activity reports),
 * and move the watermark along the archive as its pushes are accepted.
 */
import { CopyLedger, type CopyReceipt, type TimedEvent } from '../../engine/copy-ledger';
import type { CycleEnvironment, FeedCycle } from '../../engine/feed';
import { runCycle } from '../../engine/delivery';
import type { Forwarder } from '../../engine/forwarder';
import type { TimedEventsState } from '../../engine/timed-events-state';
import { RecordClock } from './record-clock';
import type { SyslogArchive, SyslogSource } from './source';

/** Records read between two moves of the watermark: its copies, and the state, stay this small. */
const RECORDS_PER_PROGRESS = 2000;

export class SyslogCycle implements FeedCycle {
  constructor(
    private readonly env: CycleEnvironment,
    private readonly state: TimedEventsState,
    private readonly source: SyslogSource,
  ) {}

  async run(): Promise<void> {
    const ledger = new CopyLedger(this.state);
    let read: { archive: SyslogArchive; clock: RecordClock } | undefined;
    try {
      await runCycle(this.env, {
        clamp: (now) => this.state.clampToRetention(now),
        ledger,
        collect: async (forwarder, now) => {
          const archive = await this.source.download();
          this.env.heartbeat();
          if (archive === undefined) return;
          read = { archive, clock: new RecordClock(now) };
          await this.forwardRecords(archive, ledger, forwarder, read.clock);
        },
        summary: (forwarded) =>
          read === undefined ? undefined : this.report(read.archive, read.clock, forwarded),
      });
    } finally {
      await this.source.discard();
    }
  }

  /** A download left by a crash goes at the next start. */
  async close(): Promise<void> {
    await this.source.discard();
  }

  private async forwardRecords(
    archive: SyslogArchive,
    ledger: CopyLedger,
    forwarder: Forwarder<TimedEvent, CopyReceipt>,
    clock: RecordClock,
  ): Promise<void> {
    // Every record of the archive is taken; the ledger keeps those after the horizon not yet accepted.
    ledger.beginReply({ from: -Infinity, to: Infinity });
    let read = 0;
    for await (const record of archive.records) {
      this.env.metrics.collectedEvents.inc();
      for (const event of clock.place(record)) await forwarder.add(event);
      if (++read % RECORDS_PER_PROGRESS === 0) {
        ledger.completeBefore(clock.readBefore);
        this.env.heartbeat();
      }
      // On a stop, what was read is still pushed; the next download is read again from the watermark.
      if (!this.env.running()) return;
    }
    // A stop ended the reading early: what was not read is not done.
    if (archive.counts.stopped || !this.env.running()) return;
    clock.finish();
    ledger.completeBefore(clock.readBefore);
  }

  /** The archive's summary (its unplaced records warned of, apart). */
  private report(archive: SyslogArchive, clock: RecordClock, forwarded: number): string | undefined {
    const { counts } = archive;
    const notes: string[] = [];
    if (counts.recordsIncomplete > 0)
      notes.push(`${counts.recordsIncomplete} missing segments (forwarded once, as received)`);
    if (counts.recordsPendingAtEnd > 0)
      notes.push(`${counts.recordsPendingAtEnd} still being written (left for the next download)`);
    if (counts.recordsForcedOut > 0)
      notes.push(
        `${counts.recordsForcedOut} unfinished records forwarded as received to keep memory bounded`,
      );
    if (counts.membersDuplicate > 0)
      notes.push(
        `${counts.membersDuplicate} members skipped as copies of another (a rotation caught half done)`,
      );
    if (counts.linesUnparsed > 0)
      notes.push(`${counts.linesUnparsed} lines that are not PRA audit records (skipped)`);
    if (clock.unplaced > 0)
      notes.push(
        `${clock.unplaced} records without a time and no earlier record to take it from, not forwarded`,
      );
    if (clock.unplaced > 0)
      this.env.log(
        `${clock.unplaced} syslog records without a time could not be placed and were not forwarded`,
        'warning',
      );
    if (forwarded === 0 && notes.length === 0) return undefined;
    return (
      `Syslog archive read: ${counts.recordsComplete + counts.recordsIncomplete} records, ${forwarded} forwarded` +
      (notes.length > 0 ? `; ${notes.join('; ')}` : '')
    );
  }
}
