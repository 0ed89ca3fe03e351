import { printableName } from '../../../../module/feeds/syslog/member-names';
import { TempDir } from '../../../support/temp-file';
import { zipBytes } from '../../../support/zip-archive';
import { entryHeaders, readLines, renameEntry, textMember } from './helpers';

describe('member names', () => {
  it('shows a name as it is when it is printable', () => {
    expect(printableName('var/log/syslog.1.gz')).toBe('var/log/syslog.1.gz');
    expect(printableName('journal-Jürgen-東京.log')).toBe('journal-Jürgen-東京.log');
  });

  it('escapes what would forge a log line or reorder its text, and shortens a very long name', () => {
    expect(printableName('a\nb\r\u001b[31mc\u202ed\u0000')).toBe(
      'a\\u000ab\\u000d\\u001b[31mc\\u202ed\\u0000',
    );
    expect(printableName('')).toBe('(a member without a name)');
    expect(printableName('n'.repeat(1000))).toBe(`${'n'.repeat(256)}… (1000 characters)`);
  });

  it('reads a name that is not UTF-8 as CP437, as ZIP says', async () => {
    const dir = new TempDir();
    try {
      const zip = await zipBytes([
        { name: 'XXXXXXXX', content: 'BZh91AY&SY' },
        textMember('syslog', ['line']),
      ]);
      renameEntry(zip, 'XXXXXXXX', Buffer.from([0x81, 0x2e, 0x6c, 0x67, 0x2e, 0x62, 0x7a, 0x32]));
      // Clear the UTF-8 flag (bit 11) yazl sets, in the archive's list.
      const { central } = entryHeaders(zip, Buffer.from([0x81, 0x2e, 0x6c, 0x67, 0x2e, 0x62, 0x7a, 0x32]));
      zip.writeUInt16LE(zip.readUInt16LE(central + 8) & ~0x800, central + 8);
      const { lines, warnings } = await readLines(dir.write('report.zip', zip));
      expect(lines).toStrictEqual(['line']);
      expect(warnings).toMatchObject([{ kind: 'member-skipped', member: 'ü.lg.bz2' }]);
    } finally {
      dir.remove();
    }
  });
});
