import {
  MAX_LEADING_UNTIMED,
  MAX_LEADING_UNTIMED_CHARS,
  RecordClock,
} from '../../../../module/feeds/syslog/record-clock';
import type { SyslogRecord } from '../../../../module/feeds/syslog/records';

function untimed(payload: string): SyslogRecord {
  return { payload, when: undefined, complete: false };
}

describe('records waiting for a time', () => {
  it('holds at most MAX_LEADING_UNTIMED_CHARS of payloads before the first timed record, and counts the rest', () => {
    const clock = new RecordClock(2_000_000_000);
    const large = 'u'.repeat(MAX_LEADING_UNTIMED_CHARS / 2);
    for (const payload of [`a${large.slice(1)}`, `b${large.slice(1)}`, `c${large.slice(1)}`]) {
      expect(clock.place(untimed(payload))).toStrictEqual([]);
    }
    expect(clock.heldChars).toBe(MAX_LEADING_UNTIMED_CHARS);
    expect(clock.unplaced).toBe(1);
    const released = clock.place({ payload: 'event=x;when=5', when: 5, complete: true });
    expect(released.map((event) => [event.text[0], event.time])).toStrictEqual([
      ['a', 5],
      ['b', 5],
      ['e', 5],
    ]);
    expect(clock.heldChars).toBe(0);
  });

  it(`holds at most ${MAX_LEADING_UNTIMED} records, however small`, () => {
    const clock = new RecordClock(2_000_000_000);
    for (let i = 0; i < MAX_LEADING_UNTIMED + 5; i++) clock.place(untimed(`event=${i}`));
    clock.finish();
    expect(clock.unplaced).toBe(MAX_LEADING_UNTIMED + 5);
    expect(clock.heldChars).toBe(0);
  });
});
