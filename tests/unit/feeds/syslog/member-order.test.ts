import { gzipMember, minute, readMembers, textMember } from './helpers';

/** Each member holds one line: its own name. Members are listed in a shuffled order. */
async function readOrder(members: { name: string; mtime?: Date; gzip?: boolean }[]): Promise<string[]> {
  const { lines, warnings } = await readMembers(
    members.map(({ name, mtime, gzip }) => (gzip ? gzipMember : textMember)(name, [name], { mtime })),
  );
  expect(warnings).toStrictEqual([]);
  return lines;
}

describe('member order, oldest first', () => {
  it('reads numbered rotations from the highest number to the live file, whatever the times say', async () => {
    const order = await readOrder([
      { name: 'syslog.1', mtime: minute(1) },
      { name: 'syslog', mtime: minute(0) },
      { name: 'syslog.10.gz', gzip: true, mtime: minute(9) },
      { name: 'syslog.2.gz', gzip: true, mtime: minute(5) },
    ]);
    expect(order).toStrictEqual(['syslog.10.gz', 'syslog.2.gz', 'syslog.1', 'syslog']);
  });

  it('reads dated rotations by date, then the live file', async () => {
    const order = await readOrder([
      { name: 'logs/syslog', mtime: minute(0) },
      { name: 'logs/syslog-20251211', mtime: minute(1) },
      { name: 'logs/syslog-20251209.gz', gzip: true, mtime: minute(3) },
      { name: 'logs/syslog-20251210.gz', gzip: true, mtime: minute(2) },
    ]);
    expect(order).toStrictEqual([
      'logs/syslog-20251209.gz',
      'logs/syslog-20251210.gz',
      'logs/syslog-20251211',
      'logs/syslog',
    ]);
  });

  it('orders hourly and dashed dates as dates', async () => {
    const order = await readOrder([
      { name: 'syslog-2025121109', mtime: minute(0) },
      { name: 'syslog-2025121023.gz', gzip: true, mtime: minute(2) },
      { name: 'syslog-2025121100', mtime: minute(1) },
    ]);
    expect(order).toStrictEqual(['syslog-2025121023.gz', 'syslog-2025121100', 'syslog-2025121109']);
    const dashed = await readOrder([
      { name: 'syslog.2025-12-11.gz', gzip: true, mtime: minute(0) },
      { name: 'syslog.2025-12-02.gz', gzip: true, mtime: minute(1) },
    ]);
    expect(dashed).toStrictEqual(['syslog.2025-12-02.gz', 'syslog.2025-12-11.gz']);
  });

  it('breaks a tie of rank by modification time, then by name', async () => {
    const order = await readOrder([
      { name: 'syslog.1', mtime: minute(2) },
      { name: 'syslog.1.gz', gzip: true, mtime: minute(1) },
      { name: 'syslog.2.b', mtime: minute(0) },
      { name: 'syslog.2.a', mtime: minute(0) },
    ]);
    // syslog.2.a and .b are no rotation scheme: each its own family, placed by time then name.
    expect(order).toStrictEqual(['syslog.2.a', 'syslog.2.b', 'syslog.1.gz', 'syslog.1']);
  });

  it('orders names of no known scheme by modification time, then name', async () => {
    const order = await readOrder([
      { name: 'bomgar.log.old', mtime: minute(5) },
      { name: 'zeta', mtime: minute(1) },
      { name: 'alpha', mtime: minute(1) },
      { name: 'audit-log', mtime: minute(0) },
    ]);
    expect(order).toStrictEqual(['audit-log', 'alpha', 'zeta', 'bomgar.log.old']);
  });

  it('orders by time a family that mixes numbered and dated rotations, keeping its live file last', async () => {
    const order = await readOrder([
      { name: 'syslog', mtime: minute(0) },
      { name: 'syslog.1', mtime: minute(3) },
      { name: 'syslog-20251211', mtime: minute(2) },
      { name: 'syslog.2.gz', gzip: true, mtime: minute(1) },
    ]);
    expect(order).toStrictEqual(['syslog.2.gz', 'syslog-20251211', 'syslog.1', 'syslog']);
  });

  it('reads one family whole before the next, the family with the oldest file first', async () => {
    const order = await readOrder([
      { name: 'secure', mtime: minute(9) },
      { name: 'syslog', mtime: minute(8) },
      { name: 'syslog.1', mtime: minute(5) },
      { name: 'secure.1', mtime: minute(2) },
    ]);
    expect(order).toStrictEqual(['secure.1', 'secure', 'syslog.1', 'syslog']);
  });
});
