import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createTeamParser, parseTeamReport, type TeamEvent } from '../../../../module/feeds/team/parser';
import { parseAll } from '../../../support/parsing';
import { describeReportGuarantees } from '../report-guarantees';

const REPORT = readFileSync(join(__dirname, 'report.xml'));

/** The events of a report holding one team, `<team_activity id="3" name="Ops">`, with `events`. */
function events(inner: string): Promise<TeamEvent[]> {
  return parseAll(
    parseTeamReport,
    `<team_activity_list xmlns="http://www.beyondtrust.com/sra/namespaces/API/reporting">
  <team_activity id="3" name="Ops"><events>${inner}</events></team_activity>
</team_activity_list>`,
  );
}

describe('the Team report', () => {
  const MEMBER_ADDED_DATA = {
    private_name: 'Alice Martin',
    public_name: 'Alice 東京 🚀',
    username: 'amartin',
    private_ip: 'Unknown',
    public_ip: '[2001:db8::5]:40001',
    support_teams: 'Équipe DBA & Ops, Tier 2',
  };

  it('gives one event per team event, once under each team it is listed in, and nothing else', async () => {
    const dba = { id: '3', name: 'Équipe DBA & Ops' };
    const alice = { type: 'representative', name: 'Alice Martin', gsnumber: '5' };
    expect(await parseAll(parseTeamReport, REPORT)).toStrictEqual([
      {
        timestamp: '1773672020',
        team: dba,
        performed_by: alice,
        event_type: 'Conference Member Added',
        data: MEMBER_ADDED_DATA,
      },
      {
        timestamp: '1773672030',
        team: dba,
        performed_by: { type: 'representative', name: 'Alice <Martin>', gsnumber: '5' },
        event_type: 'Chat Message',
        data: {},
      },
      {
        timestamp: '1773672040',
        team: dba,
        performed_by: {},
        event_type: 'Conference Member State Changed',
        data: { state: 'disconnected' },
      },
      {
        timestamp: '1773672020',
        team: { id: '8', name: 'Tier 2' },
        performed_by: alice,
        event_type: 'Conference Member Added',
        data: MEMBER_ADDED_DATA,
      },
    ]);
  });

  it('serialises its keys in the intake order whatever the order of the XML', async () => {
    const [event] = await events(`<event event_type="Conference Member State Changed" timestamp="1773672040">
      <data><value value="connected" name="state"/></data>
      <performed_by gsnumber="5" type="representative">Alice</performed_by></event>`);
    expect(JSON.stringify(event)).toBe(
      '{"timestamp":"1773672040","team":{"id":"3","name":"Ops"},' +
        '"performed_by":{"type":"representative","name":"Alice","gsnumber":"5"},' +
        '"event_type":"Conference Member State Changed","data":{"state":"connected"}}',
    );
  });

  it('gives identical events in the same second as many times as they are listed', async () => {
    const event = '<event timestamp="9" event_type="Session Start"/>';
    expect(await events(event + event + event)).toHaveLength(3);
  });

  describe('performed_by', () => {
    it('is {} when the event has no <performed_by>', async () => {
      const [event] = await events('<event timestamp="1" event_type="Session Start"/>');
      expect(event).toStrictEqual({
        timestamp: '1',
        team: { id: '3', name: 'Ops' },
        performed_by: {},
        event_type: 'Session Start',
        data: {},
      });
    });

    it('keeps type, name and gsnumber only when present and non-empty, the name exactly as written', async () => {
      const [noGsnumber, emptyName, spaced] = await events(`
        <event><performed_by type="system">Privileged Remote Access</performed_by></event>
        <event><performed_by type="representative" gsnumber=""></performed_by></event>
        <event><performed_by> Bob &amp; <![CDATA[<co>]]> </performed_by></event>`);
      expect(noGsnumber.performed_by).toStrictEqual({ type: 'system', name: 'Privileged Remote Access' });
      expect(emptyName.performed_by).toStrictEqual({ type: 'representative' });
      expect(spaced.performed_by).toStrictEqual({ name: ' Bob & <co> ' });
    });
  });

  describe('data', () => {
    it('keeps Unknown and empty values, keeps the last of a repeated name, and skips a value without name', async () => {
      const [event] = await events(`<event><data>
        <value name="os" value="Unknown"/><value name="hostname" value=""/><value name="flag"/>
        <value name="state" value="connected"/><value name="state" value="disconnected"/>
        <value value="orphan"/><value name="" value="orphan"/></data></event>`);
      expect(event.data).toStrictEqual({ os: 'Unknown', hostname: '', flag: '', state: 'disconnected' });
    });

    it('stores a value named __proto__ as an ordinary key', async () => {
      const [event] = await events(`<event><data><value name="__proto__" value="x"/></data></event>`);
      expect(Object.getPrototypeOf(event.data)).toBe(Object.prototype);
      expect(JSON.stringify(event.data)).toBe('{"__proto__":"x"}');
    });

    it('is {} when <data> is empty or missing', async () => {
      const [empty, missing] = await events('<event><data/></event><event/>');
      expect(empty.data).toStrictEqual({});
      expect(missing.data).toStrictEqual({});
    });
  });

  describe('team', () => {
    it('keeps id and name only when present, and is shared, frozen, by the events of one team', async () => {
      const [first, second, unnamed] = await parseAll(
        parseTeamReport,
        `<team_activity_list>
          <team_activity id="3" name="Ops"><events><event timestamp="1"/><event timestamp="2"/></events></team_activity>
          <team_activity id="4"><events><event timestamp="3"/></events></team_activity>
        </team_activity_list>`,
      );
      expect(first.team).toStrictEqual({ id: '3', name: 'Ops' });
      expect(second.team).toBe(first.team);
      expect(Object.isFrozen(first.team)).toBe(true);
      expect(unnamed.team).toStrictEqual({ id: '4' });
    });
  });

  it('reads events only under team_activity/events, not under logged_in_representatives', async () => {
    const out = await parseAll(
      parseTeamReport,
      `<team_activity_list>
        <event timestamp="1"/>
        <team_activity id="3"><event timestamp="2"/>
          <logged_in_representatives><event timestamp="3"/><events><event timestamp="3"/></events></logged_in_representatives>
          <events><other><event timestamp="4"/></other><event timestamp="5"/></events>
        </team_activity>
      </team_activity_list>`,
    );
    expect(out.map((event) => event.timestamp)).toStrictEqual(['5']);
  });

  it('gives no event for a list without teams or a team without events', async () => {
    expect(
      await parseAll(parseTeamReport, '<team_activity_list><team_activity id="3"/></team_activity_list>'),
    ).toStrictEqual([]);
    expect(await parseAll(parseTeamReport, '<team_activity_list/>')).toStrictEqual([]);
  });

  describeReportGuarantees({
    parse: parseTeamReport,
    createParser: createTeamParser,
    root: 'team_activity_list',
    report: REPORT,
    eventEnd: '</event>',
    noData: 'No Support Team report information matching your chosen criteria is available.',
    asciiValue: 'disconnected',
  });
});
