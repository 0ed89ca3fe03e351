import type { ReportSessionEnd } from '../../../../../module/feeds/sessions/events';
import { CONTRACT_EXAMPLE_JSON } from '../../../../support/contract-example';
import { fixture, items } from '../../../../support/parsing';

describe('the event contract example', () => {
  it('gives exactly the contract example JSON, byte for byte', async () => {
    const [first, ...rest] = await items(fixture('contract-example.xml'));
    expect(first.kind).toBe('event');
    if (first.kind !== 'event') return;
    expect(JSON.stringify(first.event)).toBe(CONTRACT_EXAMPLE_JSON);
    expect(first.event).toStrictEqual(JSON.parse(CONTRACT_EXAMPLE_JSON));
    expect(first).toMatchObject({ lsid: '5b1f0c2e9a7d4e3f8c6b2a1d0e9f8a7b', index: 0 });
    expect(rest).toStrictEqual<ReportSessionEnd[]>([
      {
        kind: 'session',
        lsid: '5b1f0c2e9a7d4e3f8c6b2a1d0e9f8a7b',
        startTime: null,
        endTime: 1764151200,
        eventCount: 1,
      },
    ]);
  });
});
