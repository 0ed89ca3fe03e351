import type { ReportSessionEnd } from '../../../../../module/feeds/sessions/events';
import { fixture, items } from '../../../../support/parsing';

// The example event Sekoia's intake parser is built on, key order included.
const CONTRACT_JSON =
  '{"timestamp":"1764150000","event_type":"Chat Message",' +
  '"performed_by":{"type":"representative","name":"Alice Martin","gsnumber":"5","public_ip":"[2001:db8::5]:40001"},' +
  '"destination":{"type":"everyone","name":"Everyone","gsnumber":"0"},' +
  '"body":"Starting maintenance <CHG-42>",' +
  '"session_id":"5b1f0c2e9a7d4e3f8c6b2a1d0e9f8a7b",' +
  '"jump_group":{"name":"DBA & Ops","type":"shared"},' +
  '"primary_customer":{"name":"db-prod-02","gsnumber":"7","private_ip":"10.1.2.3","public_ip":"198.51.100.20:50112","hostname":"db-prod-02.example.net","os":"Ubuntu 24.04"},' +
  '"primary_rep":{"name":"Alice Martin","gsnumber":"5","public_ip":"[2001:db8::5]:40001"},' +
  '"file_transfer_count":"1","file_move_count":"0","file_delete_count":"0"}';

describe('the event contract example', () => {
  it('gives exactly the contract example JSON, byte for byte', async () => {
    const [first, ...rest] = await items(fixture('contract-example.xml'));
    expect(first.kind).toBe('event');
    if (first.kind !== 'event') return;
    expect(JSON.stringify(first.event)).toBe(CONTRACT_JSON);
    expect(first.event).toStrictEqual(JSON.parse(CONTRACT_JSON));
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
