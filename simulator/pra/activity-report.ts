/**
 * The frame the VaultAccountActivity and Team reports share: root element, echoed window, entries
 * streamed in chunks; and their localised no-data answer.
 */
import type { ActivityWindow } from './activity-window';
import type { PraLocale, SimReportName } from './feed-types';
import { noDataText } from './language';
import { Names, XML_DECLARATION, attrs, isoTime } from './render';

/** Entries per chunk: large enough to keep writes cheap, small enough to stream a 100k-entry report. */
export const ENTRIES_PER_CHUNK = 500;

export type ActivityReportType = 'VaultAccountActivity' | 'Team';

/** The no-data body, in the same shape as the session reports' one (root `<error >`, no namespace). */
export function noDataBody(report: SimReportName, locale: PraLocale): string {
  return `${XML_DECLARATION}<error >${noDataText(locale, report)}</error>`;
}

/** `<root>`, the window echoed as `start_time` / `end_time` (not events), the entries, `</root>`. */
export function* activityListChunks(
  names: Names,
  root: string,
  window: ActivityWindow,
  entries: Iterable<string>,
): Generator<string> {
  const bound = (name: string, at: number): string =>
    names.el(name, attrs([['timestamp', String(at)]]), isoTime(at));
  yield `${XML_DECLARATION}${names.open(root, names.declaration)}\n`;
  yield `${bound('start_time', window.from)}${bound('end_time', window.to)}\n`;
  yield* entries;
  yield names.close(root);
}
