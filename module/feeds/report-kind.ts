/**
 * Which PRA report a saved reply is, and how to read it into the lines the module would forward:
 * for operators looking at a report by hand (`pra parse`).
 */
import { isZipHead } from './report-head';
import { parseSessionListing } from './sessions/listing';
import { parseAccessSessionReport } from './sessions/report-parser';
import { readSyslogReport } from './syslog/records';
import type { ArchiveWarning } from './syslog/archive';
import { parseTeamReport } from './team/parser';
import { parseVaultReport } from './vault/parser';
import { PRA_REPORTS, REPORT_NAMES, type ReportName } from '../pra/reports';

export { REPORT_NAMES, type ReportName };

/** Each XML report by the local name of its root element. */
const ROOTS: ReadonlyMap<string, ReportName> = new Map(
  REPORT_NAMES.flatMap((report) => {
    const { root } = PRA_REPORTS[report];
    return root === undefined ? [] : [[root, report] as const];
  }),
);

const PROLOG = /^(?:\uFEFF|\s+|<\?[\s\S]*?\?>|<!--[\s\S]*?-->|<!DOCTYPE[^>]*>)*/;
const ROOT_ELEMENT = /^<(?:[A-Za-z_][\w.-]*:)?([A-Za-z_][\w.-]*)/;

/**
 * The report `head` (the first bytes of a reply) is, by its root element or its ZIP signature;
 * 'error' for PRA's `<error>` document, undefined when the head does not tell.
 */
export function recognise(head: Buffer): ReportName | 'error' | undefined {
  if (isZipHead(head)) return 'Syslog';
  const rest = head.toString('utf8').replace(PROLOG, '');
  const root = ROOT_ELEMENT.exec(rest)?.[1];
  if (root === undefined) return undefined;
  if (root === 'error') return 'error';
  return ROOTS.get(root);
}

/** The names --report takes, matched without regard to case. */
export function reportNamed(name: string): ReportName | undefined {
  return REPORT_NAMES.find((report) => report.toLowerCase() === name.toLowerCase());
}

/**
 * The lines the module forwards for an XML report: one compact JSON event each (a listing's lsids
 * for AccessSessionListing). An `<error>` document reads as no lines when it says "no data", as the
 * error it is otherwise.
 */
export async function* xmlReportLines(
  report: ReportName | 'error',
  input: AsyncIterable<Buffer>,
): AsyncGenerator<string> {
  switch (report) {
    case 'AccessSession':
      for await (const item of parseAccessSessionReport(input))
        if (item.kind === 'event') yield JSON.stringify(item.event);
      return;
    case 'AccessSessionListing':
    case 'error':
      yield* await parseSessionListing(input);
      return;
    case 'VaultAccountActivity':
      for await (const event of parseVaultReport(input)) yield JSON.stringify(event);
      return;
    case 'Team':
      for await (const event of parseTeamReport(input)) yield JSON.stringify(event);
      return;
    case 'Syslog':
      throw new RangeError('a Syslog report is a ZIP file: read it with syslogReportLines');
  }
}

/** The Syslog report in `file` (a ZIP): one reassembled payload a line, as forwarded. */
export async function* syslogReportLines(
  file: string,
  onWarning: (warning: ArchiveWarning) => void,
): AsyncGenerator<string> {
  for await (const record of readSyslogReport(file, onWarning).records) yield record.payload;
}
