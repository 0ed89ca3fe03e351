import { manualClock, type PraSimulator } from '../../simulator/pra';
import {
  closeSimulators,
  NOW,
  readZip,
  report,
  start,
  syslogArchive,
  token,
  type ArchiveEntry,
} from './pra-http';
import { syslogLines, type SyslogLine } from './reference-readers';

afterEach(closeSimulators);

function member(members: ArchiveEntry[], name: string): ArchiveEntry {
  const found = members.find((m) => m.name === name);
  if (!found) throw new Error(`no member ${name} in ${members.map((m) => m.name).join(', ')}`);
  return found;
}

const payloadsOf = (m: ArchiveEntry): string[] => syslogLines(m).map((l) => l.payload.toString('utf8'));

describe('PRA simulator: the Syslog archive', () => {
  it('serves every syslog file as a ZIP: the current one as text, rotated ones gzip, older ones older', async () => {
    const sim = await start();
    const res = await report(sim, await token(sim), { generate_report: 'Syslog', start_time: '0' });
    expect([res.status, res.contentType]).toEqual([200, 'application/zip']);
    const members = await readZip(res.bytes);
    expect(members.map((m) => m.name)).toEqual(['syslog', 'syslog.1.gz', 'syslog.2.gz']);
    expect(member(members, 'syslog').raw.subarray(0, 3).toString()).toMatch(/^[A-Z][a-z]{2}$/);
    for (const name of ['syslog.1.gz', 'syslog.2.gz']) {
      expect([...member(members, name).raw.subarray(0, 2)]).toEqual([0x1f, 0x8b]);
    }
    const [current, one, two] = ['syslog', 'syslog.1.gz', 'syslog.2.gz'].map((n) => member(members, n).mtime);
    expect(current.getTime()).toBe(NOW * 1000);
    expect(one.getTime()).toBeLessThanOrEqual(current.getTime());
    expect(two.getTime()).toBeLessThanOrEqual(one.getTime());
    expect(two.getTime()).toBeLessThan(current.getTime());
  });

  it('writes lines as BG does: one site id, pids, the older BG: tag, an optional space, a syslog date', async () => {
    const sim = await start();
    const lines = (await syslogArchive(sim, await token(sim))).flatMap(syslogLines);
    expect(new Set(lines.map((l) => l.site))).toEqual(new Set([1427]));
    expect(new Set(lines.map((l) => l.pid)).size).toBeGreaterThan(3);
    expect(lines.some((l) => l.pid === undefined)).toBe(true);
    expect(lines.some((l) => !l.space)).toBe(true);
    expect(lines.some((l) => l.total > 1)).toBe(true);
  });

  it('has records that straddle a rotation: their first segment in one member, the rest in the next', async () => {
    const sim = await start();
    const members = await syslogArchive(sim, await token(sim));
    // Segments whose `01` is not earlier in the same member.
    const continued = (m: ArchiveEntry): SyslogLine[] => {
      const started = new Set<number | undefined>();
      return syslogLines(m).filter((l) => {
        if (l.segment === 1) started.add(l.pid);
        return l.segment > 1 && !started.has(l.pid);
      });
    };
    expect(continued(member(members, 'syslog.2.gz'))).toEqual([]);
    expect(continued(member(members, 'syslog.1.gz')).length).toBeGreaterThan(0);
    expect(continued(member(members, 'syslog')).length).toBeGreaterThan(0);
  });

  it('pads the day of the syslog date with a space, and writes no year', async () => {
    const sim = await start({ now: () => Date.UTC(2025, 11, 1, 8, 50, 51) / 1000, syslog: { records: 0 } });
    const archive = await syslogArchive(sim, await token(sim));
    expect(member(archive, 'syslog').content.toString()).toMatch(
      /^Dec {2}1 08:50:51 pra-appliance BG\[\d+\]: 1427:01:01:/,
    );
  });
});

describe('PRA simulator: Syslog segments', () => {
  let sim: PraSimulator;
  let bearer: string;

  beforeEach(async () => {
    sim = await start({ syslog: { records: 0 } });
    bearer = await token(sim);
  });

  const currentLines = async (): Promise<SyslogLine[]> =>
    syslogLines(member(await syslogArchive(sim, bearer), 'syslog'));

  it('splits a long payload into numbered segments of one pid, cut anywhere, that join into the payload', async () => {
    const value = 'x\\;y\\=z é '.repeat(300);
    const record = sim.addSyslogRecord({
      payload: `event=setting_changed;when=${NOW};old_banner=${value}`,
      pid: 4242,
    });
    const lines = (await currentLines()).filter((l) => l.pid === 4242);
    expect(lines.map((l) => [l.segment, l.total])).toEqual(lines.map((_, i) => [i + 1, lines.length]));
    expect(lines.length).toBeGreaterThanOrEqual(3);
    expect(lines.every((l) => l.payload.length <= 1000)).toBe(true);
    expect(Buffer.concat(lines.map((l) => l.payload)).toString('utf8')).toBe(record.payload);
    expect(record.when).toBe(NOW);
  });

  it('cuts exactly where asked: mid-key, and inside a UTF-8 character', async () => {
    const payload = `site=pra;when=${NOW};who=Jérôme;who_ip=192.0.2.1;event=login`;
    const inKey = Buffer.byteLength(payload.slice(0, payload.indexOf('who_ip'))) + 2;
    const inCharacter = Buffer.byteLength(payload.slice(0, payload.indexOf('é'))) + 1;
    sim.addSyslogRecord({ payload, pid: 7, cutAt: [inKey, inCharacter] });
    const lines = (await currentLines()).filter((l) => l.pid === 7);
    expect(lines).toHaveLength(3);
    expect(lines[1].payload.toString('utf8').endsWith('wh')).toBe(true);
    expect(lines[2].payload.toString('utf8').startsWith('o_ip=')).toBe(true);
    expect(lines[0].payload.at(-1)).toBe(0xc3);
    expect(Buffer.concat(lines.map((l) => l.payload)).toString('utf8')).toBe(payload);
  });

  it('interleaves the segments of one pid with the lines of others', async () => {
    const long = sim.addSyslogRecord({ payload: 'event=x;big='.padEnd(2500, 'y'), pid: 1, write: 1 });
    sim.addSyslogRecord({ payload: 'event=short', pid: 2 });
    sim.continueSyslogRecord(long, 1);
    sim.continueSyslogRecord(long);
    const order = (await currentLines()).filter((l) => l.pid === 1 || l.pid === 2);
    expect(order.map((l) => `${l.pid}:${l.segment}/${l.total}`)).toEqual([
      '1:1/3',
      '2:1/1',
      '1:2/3',
      '1:3/3',
    ]);
    expect(long.state).toBe('complete');
  });

  it('cuts a pending record short when its pid starts another one, for good', async () => {
    const cut = sim.addSyslogRecord({ payload: 'event=x;big='.padEnd(2500, 'y'), pid: 3, write: 2 });
    expect(cut.state).toBe('pending');
    sim.addSyslogRecord({ payload: 'event=next', pid: 3 });
    expect(cut.state).toBe('cut');
    expect(() => sim.continueSyslogRecord(cut)).toThrow(/cut syslog record/);
    const lines = (await currentLines()).filter((l) => l.pid === 3);
    expect(lines.map((l) => `${l.segment}/${l.total}`)).toEqual(['1/3', '2/3', '1/1']);
  });

  it('keeps a record pending at the end of the archive until its last segments are written', async () => {
    const pending = sim.addSyslogRecord({ payload: 'event=x;big='.padEnd(2500, 'y'), pid: 5, write: 1 });
    expect((await currentLines()).filter((l) => l.pid === 5)).toHaveLength(1);
    sim.continueSyslogRecord(pending);
    expect((await currentLines()).filter((l) => l.pid === 5).map((l) => l.segment)).toEqual([1, 2, 3]);
    expect(pending.state).toBe('complete');
  });

  it('writes the older BG: tag and lines without the space after it, when asked', async () => {
    sim.addSyslogRecord({ payload: 'event=legacy', pid: null });
    sim.addSyslogRecord({ payload: 'event=tight', pid: 9, noSpace: true });
    const text = member(await syslogArchive(sim, bearer), 'syslog').content.toString();
    expect(text).toMatch(/ pra-appliance BG: 1427:01:01:event=legacy\n/);
    expect(text).toMatch(/ pra-appliance BG\[9\]:1427:01:01:event=tight\n/);
  });

  it('escapes =, ; and \\ inside values of fields it formats, and reads when from them', async () => {
    const record = sim.addSyslogRecord({
      fields: [
        ['name', 'a=b;c\\d'],
        ['when', '1700000000'],
      ],
    });
    expect(record.payload).toBe('name=a\\=b\\;c\\\\d;when=1700000000');
    expect(record.when).toBe(1_700_000_000);
    expect(sim.addSyslogRecord({ payload: 'event=heartbeat;note=x\\;when=5' }).when).toBeUndefined();
  });
});

describe('PRA simulator: Syslog growth and rotation', () => {
  it('logs event=token for every token issued and syslog_report_generated for every download', async () => {
    const sim = await start({ syslog: { records: 0 } });
    const bearer = await token(sim);
    await token(sim);
    const first = payloadsOf(member(await syslogArchive(sim, bearer), 'syslog'));
    const tokens = first.filter((p) => p.startsWith('event=token;'));
    expect(tokens).toHaveLength(2);
    // Two tokens in one second: identical records, both real.
    expect(tokens[0]).toBe(tokens[1]);
    expect(tokens[0]).toContain(`when=${NOW}`);
    expect(tokens[0]).not.toContain('sim-secret');
    expect(first.filter((p) => p.startsWith('event=syslog_report_generated;'))).toHaveLength(1);

    const second = payloadsOf(member(await syslogArchive(sim, bearer), 'syslog'));
    expect(second.slice(0, first.length)).toEqual(first);
    expect(second.slice(first.length)).toEqual([first.at(-1)]);
  });

  it('grows between requests', async () => {
    const sim = await start();
    const bearer = await token(sim);
    const before = member(await syslogArchive(sim, bearer), 'syslog').content;
    sim.addSyslogRecord({ payload: 'event=new' });
    const after = member(await syslogArchive(sim, bearer), 'syslog').content;
    expect(after.subarray(0, before.length)).toEqual(before);
    expect(after.subarray(before.length).toString()).toContain('event=new\n');
  });

  it('rotates between requests: names shift, rotated content never changes, the oldest goes beyond keep', async () => {
    const clock = manualClock(NOW);
    const sim = await start({ now: clock.now });
    const bearer = await token(sim);
    const before = await syslogArchive(sim, bearer);
    clock.advance(60);
    sim.rotateSyslog();
    const after = await syslogArchive(sim, bearer);
    expect(after.map((m) => m.name)).toEqual(['syslog', 'syslog.1.gz', 'syslog.2.gz', 'syslog.3.gz']);
    expect(member(after, 'syslog.1.gz').content).toEqual(member(before, 'syslog').content);
    expect(member(after, 'syslog.2.gz').raw).toEqual(member(before, 'syslog.1.gz').raw);
    expect(member(after, 'syslog.1.gz').mtime).toEqual(member(before, 'syslog').mtime);
    expect(member(after, 'syslog').mtime.getTime()).toBe((NOW + 60) * 1000);
    expect(payloadsOf(member(after, 'syslog'))).toEqual([
      expect.stringMatching(/^event=syslog_report_generated;/),
    ]);

    // One more rotation keeping two: today's syslog.2.gz and syslog.3.gz go.
    const startedInDropped = ['syslog.2.gz', 'syslog.3.gz']
      .flatMap((name) => syslogLines(member(after, name)))
      .filter((l) => l.segment === 1)
      .map((l) => l.payload.toString('latin1'));
    sim.rotateSyslog({ keep: 2 });
    const kept = await syslogArchive(sim, bearer);
    expect(kept.map((m) => m.name)).toEqual(['syslog', 'syslog.1.gz', 'syslog.2.gz']);
    const dropped = sim.syslogRecords.filter((r) => r.dropped);
    expect(dropped.map((r) => Buffer.from(r.segments[0]).toString('latin1')).sort()).toEqual(
      startedInDropped.sort(),
    );
    expect(dropped.length).toBeGreaterThan(0);
  });

  it('names rotated members as delaycompress leaves them: syslog.1 plain, older ones gzip', async () => {
    const sim = await start({ syslog: { rotatedNaming: 'delaycompress', fileName: 'messages' } });
    const members = await syslogArchive(sim, await token(sim));
    expect(members.map((m) => m.name)).toEqual(['messages', 'messages.1', 'messages.2.gz']);
    expect(member(members, 'messages.1').raw.toString()).toMatch(/^[A-Z][a-z]{2} /);
  });

  it('lists members in name order, so syslog.10.gz comes before syslog.2.gz', async () => {
    const sim = await start({ syslog: { records: 0, rotations: 0, keepRotated: 20 } });
    const bearer = await token(sim);
    for (let i = 0; i < 11; i++) sim.rotateSyslog();
    const names = (await syslogArchive(sim, bearer)).map((m) => m.name);
    expect(names.slice(0, 4)).toEqual(['syslog', 'syslog.1.gz', 'syslog.10.gz', 'syslog.11.gz']);
  });

  it('answers an XML <error> instead of the ZIP when told, and cuts the ZIP short on a malformed fault', async () => {
    const sim = await start();
    const bearer = await token(sim);
    sim.setReportError('Syslog', 'Syslog is not available.');
    const error = await report(sim, bearer, { generate_report: 'Syslog' });
    expect([error.status, error.contentType]).toEqual([200, 'text/xml; charset=UTF-8']);
    expect(error.text).toMatch(/<error xmlns="[^"]+">Syslog is not available\.<\/error>$/);
    sim.setReportError('Syslog', undefined);

    sim.injectFault({ kind: 'malformed', count: 1, report: 'Syslog' });
    const cut = await report(sim, bearer, { generate_report: 'Syslog' });
    expect(cut.contentType).toBe('application/zip');
    await expect(readZip(cut.bytes)).rejects.toThrow();
    expect((await syslogArchive(sim, bearer)).length).toBe(3);
  });
});
