import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createVaultParser, parseVaultReport, type VaultEvent } from '../../../../module/feeds/vault/parser';
import { parseAll } from '../../../support/parsing';
import { describeReportGuarantees } from '../report-guarantees';

const REPORT = readFileSync(join(__dirname, 'report.xml'));

/** The events of a report holding `activities` in the live tenants' namespace. */
function events(activities: string): Promise<VaultEvent[]> {
  return parseAll(
    parseVaultReport,
    `<vault_account_activity_list xmlns="http://www.beyondtrust.com/sra/namespaces/API/reporting">
  <start_time timestamp="1773600000">2026-03-15T18:40:00+00:00</start_time>
  ${activities}
  <end_time timestamp="1773686400">2026-03-16T18:40:00+00:00</end_time>
</vault_account_activity_list>`,
  );
}

describe('the Vault account activity report', () => {
  it('gives the intake example byte for byte', async () => {
    const [event] =
      await events(`<vault_account_activity timestamp="1773672020" event_type="Password Changed" account="1">
      <performed_by id="2" type="User">John Doe</performed_by>
      <data>Manually Edited</data>
    </vault_account_activity>`);
    expect(JSON.stringify(event)).toBe(
      '{"timestamp":"1773672020","event_type":"Password Changed","account_id":"1",' +
        '"performed_by":{"id":"2","type":"User","name":"John Doe"},"data":"Manually Edited"}',
    );
  });

  it('gives one event per activity, in document order, identical ones included, and none for the echoed times', async () => {
    const checkedOut: VaultEvent = {
      timestamp: '1773672031',
      event_type: 'Credentials Checked Out',
      account_id: '17',
      performed_by: { id: '9', type: 'User', name: 'Zoë Ångström-Müller 東京 🔑' },
      data: null,
    };
    expect(await parseAll(parseVaultReport, REPORT)).toStrictEqual([
      {
        timestamp: '1773672020',
        event_type: 'Password Changed',
        account_id: '1',
        performed_by: { id: '2', type: 'User', name: 'John Doe' },
        data: 'Manually Edited',
      },
      checkedOut,
      checkedOut,
      {
        timestamp: '1773672100',
        event_type: 'Account Created',
        account_id: '23',
        performed_by: { id: '2', type: 'User', name: 'John Doe' },
        data: 'Account "svc-backup" created in group <DBA & Ops>',
      },
      {
        timestamp: '1773672200',
        event_type: 'Password Rotated',
        account_id: '23',
        performed_by: { type: 'System' },
        data: 'Scheduled rotation <policy: 30 days> & notify',
      },
      {
        timestamp: '1773672300',
        event_type: 'Account Deleted',
        account_id: '5',
        performed_by: { id: '4', type: 'User', name: 'Amélie Poulain' },
      },
    ]);
  });

  describe('data', () => {
    it('is null when <data> is empty, and absent when there is no <data>', async () => {
      const [empty, selfClosed, missing] = await events(`
        <vault_account_activity timestamp="1" event_type="A" account="1"><data></data></vault_account_activity>
        <vault_account_activity timestamp="2" event_type="A" account="1"><data/></vault_account_activity>
        <vault_account_activity timestamp="3" event_type="A" account="1"/>`);
      expect(empty).toStrictEqual({ timestamp: '1', event_type: 'A', account_id: '1', data: null });
      expect(selfClosed).toStrictEqual({ timestamp: '2', event_type: 'A', account_id: '1', data: null });
      expect(missing).toStrictEqual({ timestamp: '3', event_type: 'A', account_id: '1' });
      expect(JSON.stringify(empty)).toBe('{"timestamp":"1","event_type":"A","account_id":"1","data":null}');
    });

    it('is the text exactly as written: whitespace kept, entities and CDATA decoded', async () => {
      const [spaces, mixed] = await events(`
        <vault_account_activity account="1"><data>  </data></vault_account_activity>
        <vault_account_activity account="1"><data>
 a &amp;&#x1F511; <![CDATA[<b>]]> c </data></vault_account_activity>`);
      expect(spaces.data).toBe('  ');
      expect(mixed.data).toBe('\n a &🔑 <b> c ');
    });

    it('refuses a text over the limit even when comments cut it into small runs', async () => {
      const run = 'x'.repeat(600 * 1024);
      const parse = events(
        `<vault_account_activity><data>${run}<!---->${run}</data></vault_account_activity>`,
      );
      await expect(parse).rejects.toThrow(/^element text too large/);
    });

    it('leaves out the text of elements inside <data>, and reads indentation around them as empty', async () => {
      const [withChild, onlyLayout] = await events(`
        <vault_account_activity account="1"><data>kept<note>dropped</note></data></vault_account_activity>
        <vault_account_activity account="1"><data>
          <note>dropped</note>
        </data></vault_account_activity>`);
      expect(withChild.data).toBe('kept');
      expect(onlyLayout.data).toBeNull();
    });
  });

  describe('performed_by', () => {
    it('keeps each of id, type and name only when present and non-empty', async () => {
      const [noId, emptyType, noText, bare] = await events(`
        <vault_account_activity account="1"><performed_by type="User">Jo</performed_by></vault_account_activity>
        <vault_account_activity account="1"><performed_by id="4" type="">Jo</performed_by></vault_account_activity>
        <vault_account_activity account="1"><performed_by id="4" type="User"></performed_by></vault_account_activity>
        <vault_account_activity account="1"><performed_by/></vault_account_activity>`);
      expect(noId.performed_by).toStrictEqual({ type: 'User', name: 'Jo' });
      expect(emptyType.performed_by).toStrictEqual({ id: '4', name: 'Jo' });
      expect(noText.performed_by).toStrictEqual({ id: '4', type: 'User' });
      expect(bare.performed_by).toStrictEqual({});
    });

    it('is absent when the activity has no <performed_by>', async () => {
      const [event] = await events(
        `<vault_account_activity account="1"><data>x</data></vault_account_activity>`,
      );
      expect(event).toStrictEqual({ account_id: '1', data: 'x' });
    });
  });

  it('puts the keys in the intake order whatever the order of the XML', async () => {
    const [event] =
      await events(`<vault_account_activity account="7" event_type="Account Created" timestamp="5">
      <data>d</data><performed_by type="User" id="3">n</performed_by></vault_account_activity>`);
    expect(JSON.stringify(event)).toBe(
      '{"timestamp":"5","event_type":"Account Created","account_id":"7",' +
        '"performed_by":{"id":"3","type":"User","name":"n"},"data":"d"}',
    );
  });

  it('leaves out a missing or empty attribute, and ignores unknown elements and attributes', async () => {
    const [event] = await events(`<vault_account_activity timestamp="" event_type="Account Created" extra="x">
      <unknown>ignored</unknown><performed_by id="1" type="User" extra="x">n</performed_by></vault_account_activity>`);
    expect(event).toStrictEqual({
      event_type: 'Account Created',
      performed_by: { id: '1', type: 'User', name: 'n' },
    });
  });

  it('reads only the children of the list as activities', async () => {
    expect(
      await events(`<other><vault_account_activity account="1"/></other>
        <vault_account_activity account="2"><vault_account_activity account="3"/></vault_account_activity>`),
    ).toStrictEqual([{ account_id: '2' }]);
  });

  it('gives no event for an empty list', async () => {
    expect(await events('')).toStrictEqual([]);
  });

  describeReportGuarantees({
    parse: parseVaultReport,
    createParser: createVaultParser,
    root: 'vault_account_activity_list',
    report: REPORT,
    eventEnd: '</vault_account_activity>',
    noData: 'No vault account activity matching your chosen criteria is available.',
    asciiValue: 'Manually Edited',
  });
});
