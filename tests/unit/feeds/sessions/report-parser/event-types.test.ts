import type { Party, SessionEvent } from '../../../../../module/feeds/sessions/events';
import { events, fixture, items } from '../../../../support/parsing';

const SESSION: Pick<SessionEvent, 'session_id' | 'jump_group' | 'primary_customer' | 'primary_rep'> & {
  file_transfer_count: string;
  file_move_count: string;
  file_delete_count: string;
} = {
  session_id: 'e9e99aeb9ad54fb381634498502c5a1b',
  jump_group: { name: 'Sekoia', type: 'personal' },
  primary_customer: {
    name: 'Sekoia.io integration',
    gsnumber: '2',
    private_ip: '10.0.0.5',
    public_ip: '192.0.2.10:51000',
    hostname: 'srv-01',
    os: 'Windows Server 2022',
  },
  // private_ip "Unknown" is not a value.
  primary_rep: { name: 'Jane Doe', gsnumber: '1', public_ip: '[2001:db8::1]:40001', os: 'Windows 11' },
  file_transfer_count: '2',
  file_move_count: '1',
  file_delete_count: '1',
};
const SYSTEM: Party = { type: 'system', name: 'Privileged Remote Access', gsnumber: '0' };
const CUSTOMER_FIELDS = {
  private_ip: '10.0.0.5',
  public_ip: '192.0.2.10:51000',
  hostname: 'srv-01',
  os: 'Windows Server 2022',
};
const BY_CUSTOMER: Party = {
  type: 'customer',
  name: 'srv-01.corp.example.net',
  gsnumber: '2',
  ...CUSTOMER_FIELDS,
};
const BY_JANE: Party = {
  type: 'representative',
  name: 'Jane Doe',
  gsnumber: '1',
  public_ip: '[2001:db8::1]:40001',
  os: 'Windows 11',
};
// destination never carries participant fields.
const TO_CUSTOMER: Party = { type: 'customer', name: 'srv-01.corp.example.net', gsnumber: '2' };
const TO_JANE: Party = { type: 'representative', name: 'Jane Doe', gsnumber: '1' };

type Own = Omit<SessionEvent, keyof typeof SESSION>;
const OWN: Own[] = [
  { timestamp: '1733239565', event_type: 'Session Start' },
  {
    timestamp: '1733239565',
    event_type: 'Conference Owner Changed',
    data: { owner: 'Jane Doe' },
    destination: { type: 'system', name: 'Pre-start Conference', gsnumber: '0' },
  },
  {
    timestamp: '1733239566',
    event_type: 'Conference Member Added',
    performed_by: BY_CUSTOMER,
    data: { name: 'srv-01', ...CUSTOMER_FIELDS },
  },
  {
    timestamp: '1733239567',
    event_type: 'Conference Member Added',
    performed_by: BY_JANE,
    data: {
      private_name: 'Jane Doe',
      username: 'jdoe',
      private_ip: 'Unknown', // data values are kept as sent, "Unknown" included
      public_ip: '[2001:db8::1]:40001',
      os: 'Windows 11',
      user_id: '6',
    },
  },
  {
    timestamp: '1733239568',
    event_type: 'Conference Member State Changed',
    performed_by: BY_JANE,
    data: { state: 'connected' },
  },
  {
    timestamp: '1733239570',
    event_type: 'Chat Message',
    performed_by: SYSTEM,
    destination: { type: 'everyone', name: 'Everyone', gsnumber: '0' },
    body: 'Session recording is on.',
  },
  {
    timestamp: '1733239580',
    event_type: 'File Download',
    performed_by: BY_CUSTOMER,
    data: { filename: 'C:\\Logs\\app.log', filesize: '52311' },
    destination: TO_JANE,
  },
  {
    timestamp: '1733239590',
    event_type: 'File Upload',
    performed_by: BY_JANE,
    data: { filename: 'C:\\Temp\\patch.msi', filesize: '48213' },
    destination: TO_CUSTOMER,
  },
  {
    timestamp: '1733239600',
    event_type: 'File Deleted',
    performed_by: BY_JANE,
    data: { filename: 'C:\\Temp\\old.msi', filesize: '1024' },
    destination: TO_CUSTOMER,
  },
  {
    timestamp: '1733239601',
    event_type: 'File Transfer Complete',
    performed_by: BY_CUSTOMER,
    data: { filename: 'app.log', sha256: '9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08' },
    destination: TO_JANE,
  },
  {
    timestamp: '1733239610',
    event_type: 'Directory Created',
    performed_by: BY_JANE,
    data: { path: 'C:\\Temp\\new' },
    destination: TO_CUSTOMER,
  },
  {
    timestamp: '1733239620',
    event_type: 'Session Foreground Window Changed',
    performed_by: SYSTEM,
    data: { exeName: 'mmc.exe', windowName: 'Services' },
  },
  {
    timestamp: '1733239621',
    event_type: 'Session Window Closed',
    performed_by: SYSTEM,
    data: { exeName: 'mmc.exe', windowName: 'Services' },
  },
  {
    timestamp: '1733239622',
    event_type: 'Session Mouse Left Clicked',
    performed_by: SYSTEM,
    data: {
      exeName: 'explorer.exe',
      windowName: 'File Explorer',
      targetName: 'Documents',
      targetType: 'list item',
    },
  },
  {
    timestamp: '1733239630',
    event_type: 'Special Action Executed',
    performed_by: BY_JANE,
    data: { action_name: 'Sécurité Windows (Ctrl-Alt-Suppr)' },
  },
  {
    timestamp: '1733239640',
    event_type: 'Remote Shell Event',
    performed_by: SYSTEM,
    data: { text: 'Get-Service | Where-Object {$_.Status -eq "Stopped"}' },
  },
  {
    timestamp: '1733239650',
    event_type: 'Jump Item Authorization Request Utilized',
    performed_by: SYSTEM,
    data: {
      request_id: '42',
      request_start_time: '2025-05-06 09:27:40 CEST',
      request_duration: '4 hour(s)',
      jump_policy_name: 'Prod approval',
      jump_item_type: 'Shell Jump',
      jump_item_name: 'srv-01',
      push_agent_name: '',
      requesting_user: 'Jane Doe (jane@example.net)',
      requesting_user_id: '6',
      approval_applies_to: 'Requestor only',
      request_reason: 'Patch',
      approver_name: 'Bob',
      request_approver: 'bob@example.net',
      approver_comments: 'ok',
    },
  },
  {
    timestamp: '1733239660',
    event_type: 'Command Shell Session Started',
    performed_by: BY_JANE,
    data: {
      instance: '0',
      download_url: 'https://pra.example.net/shell?i=0&dl=1',
      view_url: 'https://pra.example.net/shell?i=0',
    },
  },
  {
    timestamp: '1733239661',
    event_type: 'Credential Injection Attempt',
    performed_by: BY_JANE,
    data: { attempt_id: '1', credential_id: '17', credential_name: 'svc-backup' },
  },
  {
    timestamp: '1733239662',
    event_type: 'Credential Injection Attempt Failed',
    performed_by: BY_JANE,
    data: { attempt_id: '1', failure_reason: 'Access denied' },
  },
  {
    timestamp: '1733239663',
    event_type: 'File Download Failed',
    performed_by: BY_CUSTOMER,
    data: { filename: 'C:\\pagefile.sys', failure_reason: 'File in use' },
    destination: TO_JANE,
  },
  {
    timestamp: '1733239664',
    event_type: 'File Moved',
    performed_by: BY_JANE,
    data: { old_path: 'C:\\a.txt', new_path: 'C:\\b.txt' },
  },
  {
    timestamp: '1733239665',
    event_type: 'Registry Value Modified',
    performed_by: BY_JANE,
    data: {
      key_path: 'HKLM\\SOFTWARE\\Example',
      value_name: 'Level',
      value_type: 'REG_DWORD',
      value_data_old: '1',
      value_data_new: '2',
    },
  },
  {
    timestamp: '1733239666',
    event_type: 'Service Access Allowed',
    performed_by: BY_CUSTOMER,
    data: { granted_to: 'Jane Doe', level: 'full', service: 'Spooler' },
  },
  // The system_information subtree (whose own <data> is not event data) is skipped; gsnumber 3 has
  // only empty and "Unknown" participant fields.
  {
    timestamp: '1733239667',
    event_type: 'System Information Retrieved',
    performed_by: { type: 'representative', name: 'auditor', gsnumber: '3' },
  },
  { timestamp: '1733239668', event_type: 'Screenshot Captured', performed_by: BY_JANE },
  {
    timestamp: '1733239670',
    event_type: 'Conference Member Departed',
    performed_by: { ...BY_CUSTOMER, name: '192.0.2.10' },
  },
  { timestamp: '1733240467', event_type: 'Session End' },
];

const EXPECTED: SessionEvent[] = OWN.map((own) => ({ ...own, ...SESSION }));
const KEY_ORDER = [
  'timestamp',
  'event_type',
  'performed_by',
  'data',
  'destination',
  'body',
  'session_id',
  'jump_group',
  'primary_customer',
  'primary_rep',
  'file_transfer_count',
  'file_move_count',
  'file_delete_count',
];

describe('every event type seen in PRA session reports', () => {
  it('comes out as the contract says, in document order', async () => {
    const parsed = await items(fixture('all-event-types.xml'));
    expect(parsed.map((item) => item.kind === 'event' && item.event)).toStrictEqual([...EXPECTED, false]);
    expect(parsed.map((item) => (item.kind === 'event' ? item.index : -1))).toStrictEqual([
      ...EXPECTED.map((_, i) => i),
      -1,
    ]);
    expect(parsed.at(-1)).toStrictEqual({
      kind: 'session',
      lsid: SESSION.session_id,
      startTime: 1733239565,
      endTime: 1733240467,
      eventCount: EXPECTED.length,
    });
  });

  it("keeps the contract's key order in every event", async () => {
    for (const event of await events(fixture('all-event-types.xml'))) {
      const keys = Object.keys(event);
      expect(keys).toStrictEqual(KEY_ORDER.filter((key) => keys.includes(key)));
    }
  });
});

describe('namespaces', () => {
  const source = fixture('all-event-types.xml').toString('utf8');
  const SRA = 'http://www.beyondtrust.com/sra/namespaces/API/reporting';
  const expected = async (): Promise<string[]> =>
    (await events(source)).map((event) => JSON.stringify(event));

  it.each([
    ['the docs namespace', source.replace(SRA, 'https://www.beyondtrust.com/namespaces/API/reporting')],
    ['the bomgar namespace', source.replace(SRA, 'http://www.bomgar.com/namespaces/API/reporting')],
    ['no namespace', source.replace(` xmlns="${SRA}"`, '')],
    // Every element prefixed, opening and closing tags alike.
    [
      'a prefix',
      source.replace(` xmlns="${SRA}"`, ` xmlns:ns="${SRA}"`).replace(/<(\/?)(?=[a-z])/g, '<$1ns:'),
    ],
  ])('%s parses the same as the sra namespace', async (_label, variant) => {
    expect(variant).not.toBe(source);
    const got = (await events(variant)).map((event) => JSON.stringify(event));
    expect(got).toHaveLength(EXPECTED.length);
    expect(got).toStrictEqual(await expected());
  });
});
