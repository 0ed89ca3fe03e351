import {
  ABANDONED_AFTER_SECONDS,
  RECORD_OVERHEAD_BYTES,
  SegmentAssembler,
  type SyslogRecord,
} from '../../../../module/feeds/syslog/assembler';
import type { SyslogSegment } from '../../../../module/feeds/syslog/segment';

function seg(pid: number, index: number, total: number, payload: string): SyslogSegment {
  return { sender: `pra BG[${pid}]`, index, total, payload: Buffer.from(payload) };
}

/** What the record reader does with the assembler: each timed record emitted dates and ends the silent. */
function feed(assembler: SegmentAssembler, segments: readonly SyslogSegment[]): SyslogRecord[] {
  const out: SyslogRecord[] = [];
  for (const segment of segments) {
    for (const record of assembler.add(segment)) {
      if (record.when !== undefined) out.push(...assembler.abandonedBy(record.when));
      out.push(record);
    }
  }
  return out;
}

/** `senders` first segments never continued, each followed by a timed record, then one much later. */
function abandonedSenders(senders: number): SyslogSegment[] {
  const segments: SyslogSegment[] = [];
  for (let i = 0; i < senders; i++) {
    segments.push(seg(1000 + i, 1, 2, `event=cut${i};`), seg(1, 1, 1, 'event=tick;when=1000'));
  }
  segments.push(seg(1, 1, 1, `event=later;when=${1001 + ABANDONED_AFTER_SECONDS}`));
  return segments;
}

describe('the work of reassembly', () => {
  // A scan of every waiting sender per timed record made this quadratic: 20,000 abandoned senders
  // cost 200 million visits. The bound below is a property of the lists, not a timing.
  it.each([1000, 20_000])('stays linear in the lines with %i abandoned senders', (senders) => {
    const assembler = new SegmentAssembler({ maxPendingRecords: 1_000_000 });
    const segments = abandonedSenders(senders);
    const out = feed(assembler, segments);
    const abandoned = out.filter((record) => !record.complete).map((record) => record.payload);
    expect(abandoned).toStrictEqual(Array.from({ length: senders }, (_, i) => `event=cut${i};`));
    expect(assembler.pendingCount).toBe(0);
    expect(assembler.stats.steps).toBeLessThanOrEqual(4 * segments.length);
  });

  it('stays linear when waiting records come and go without a timed record between', () => {
    const assembler = new SegmentAssembler();
    const segments: SyslogSegment[] = [];
    for (let i = 0; i < 50_000; i++) {
      segments.push(seg(2, 1, 2, `event=a${i};`), seg(2, 2, 2, 'who=x'));
      if (i % 10_000 === 0) segments.push(seg(1, 1, 1, `event=tick;when=${1000 + i}`));
    }
    const out = feed(assembler, segments);
    expect(out.filter((record) => record.complete)).toHaveLength(50_000 + 5);
    expect(assembler.stats.steps).toBeLessThanOrEqual(4 * segments.length);
    expect(assembler.heldBytes).toBe(0);
  });
});

describe('the limits of what waits for segments', () => {
  it('forces out the records that began first once too many wait, incomplete, as received', () => {
    const assembler = new SegmentAssembler({ maxPendingRecords: 3 });
    const out = feed(
      assembler,
      [1, 2, 3, 4, 5].map((pid) => seg(pid, 1, 2, `event=p${pid};`)),
    );
    expect(out).toStrictEqual([
      { payload: 'event=p1;', when: undefined, complete: false },
      { payload: 'event=p2;', when: undefined, complete: false },
    ]);
    expect(assembler.stats).toMatchObject({ forcedOut: 2, peakPendingRecords: 3 });
    // The rest of a record forced out is a record of its own, incomplete: never glued to another.
    expect(feed(assembler, [seg(1, 2, 2, 'when=1'), seg(3, 2, 2, 'when=2')])).toStrictEqual([
      { payload: 'when=1', when: 1, complete: false },
      { payload: 'event=p3;when=2', when: 2, complete: true },
    ]);
  });

  it('forces out the oldest records once their bytes pass the bound, and counts what it holds', () => {
    const payload = 'x'.repeat(100);
    const assembler = new SegmentAssembler({ maxPendingBytes: 2 * (100 + RECORD_OVERHEAD_BYTES) });
    feed(assembler, [seg(1, 1, 3, payload), seg(2, 1, 3, payload)]);
    expect(assembler.heldBytes).toBe(2 * (100 + RECORD_OVERHEAD_BYTES));
    const out = feed(assembler, [seg(2, 2, 3, payload)]);
    expect(out).toStrictEqual([{ payload, when: undefined, complete: false }]);
    expect(assembler.heldBytes).toBe(200 + RECORD_OVERHEAD_BYTES);
    expect(assembler.stats.peakPendingBytes).toBeLessThanOrEqual(2 * (100 + RECORD_OVERHEAD_BYTES));
    feed(assembler, [seg(2, 3, 3, 'end')]);
    expect(assembler.heldBytes).toBe(0);
    expect(assembler.pendingCount).toBe(0);
  });

  it('forces out a record alone over the bound itself', () => {
    const assembler = new SegmentAssembler({ maxPendingBytes: 64 });
    const out = feed(assembler, [seg(1, 1, 2, 'y'.repeat(100))]);
    expect(out).toStrictEqual([{ payload: 'y'.repeat(100), when: undefined, complete: false }]);
    expect(assembler.heldBytes).toBe(0);
  });

  it('gives the same records for the same segments', () => {
    const segments = Array.from({ length: 5000 }, (_, i) =>
      seg(i % 1500, (i % 3) + 1, 4, `event=${i};when=${1000 + (i % 400)};`),
    );
    const run = (): SyslogRecord[] => feed(new SegmentAssembler({ maxPendingRecords: 700 }), segments);
    expect(run()).toStrictEqual(run());
  });
});
