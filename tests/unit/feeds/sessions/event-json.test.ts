import { Readable } from 'node:stream';
import fs from 'node:fs';
import path from 'node:path';
import type { SessionEvent } from '../../../../module/feeds/sessions/events';
import { EventSerializer } from '../../../../module/feeds/sessions/event-json';
import { parseAccessSessionReport } from '../../../../module/feeds/sessions/report-parser';
import { FIXTURES } from '../../../support/paths';

describe('EventSerializer', () => {
  it('gives exactly JSON.stringify for every event of real-shaped reports', async () => {
    const serializer = new EventSerializer();
    let checked = 0;
    for (const fixture of ['contract-example.xml', 'all-event-types.xml']) {
      const xml = fs.readFileSync(path.join(FIXTURES, fixture));
      for await (const item of parseAccessSessionReport(Readable.from([xml]))) {
        if (item.kind !== 'event') continue;
        expect(serializer.serialize(item.event)).toBe(JSON.stringify(item.event));
        checked++;
      }
    }
    expect(checked).toBeGreaterThan(20);
  });

  it('does not reuse a session part once any session field changes', () => {
    const serializer = new EventSerializer();
    const group = { name: 'DBA & "Ops"', type: 'shared' };
    const base: SessionEvent = {
      timestamp: '1',
      event_type: 'Session Start',
      session_id: 'a',
      jump_group: group,
    };
    expect(serializer.serialize(base)).toBe(JSON.stringify(base));
    const counted = { ...base, file_transfer_count: '2' };
    expect(serializer.serialize(counted)).toBe(JSON.stringify(counted));
    const otherGroup = { ...base, jump_group: { name: 'Other', type: 'personal' } };
    expect(serializer.serialize(otherGroup)).toBe(JSON.stringify(otherGroup));
    const otherSession = { ...base, session_id: 'b' };
    expect(serializer.serialize(otherSession)).toBe(JSON.stringify(otherSession));
  });

  it('falls back to JSON.stringify for events of another shape', () => {
    const serializer = new EventSerializer();
    const reordered = { session_id: 'a', timestamp: '1', jump_group: { name: 'g' } } as SessionEvent;
    expect(serializer.serialize(reordered)).toBe(JSON.stringify(reordered));
    const onlySession: SessionEvent = { session_id: 'a' };
    expect(serializer.serialize(onlySession)).toBe('{"session_id":"a"}');
    const noSession = { timestamp: '1' } as unknown as SessionEvent;
    expect(serializer.serialize(noSession)).toBe('{"timestamp":"1"}');
  });
});
