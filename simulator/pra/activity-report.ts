/**
 * The frame the VaultAccountActivity and Team reports share: root element, echoed window, entries
 * streamed in chunks; and their localised no-data answer.
 */
import type { ActivityWindow } from './activity-window';
import type { PraLocale } from './feed-types';
import { Names, XML_DECLARATION, attrs, isoTime } from './render';

/** Entries per chunk: large enough to keep writes cheap, small enough to stream a 100k-entry report. */
export const ENTRIES_PER_CHUNK = 500;

export type ActivityReportType = 'VaultAccountActivity' | 'Team';

/**
 * What tenants answer for an empty window, by report and locale. The English ones were seen on live
 * tenants; a French tenant words them "… correspondant à vos critères …", so a collector must know
 * both families and treat any other `<error>` as a failure.
 */
const NO_DATA_MESSAGES: Record<ActivityReportType, Record<PraLocale, string>> = {
  VaultAccountActivity: {
    en: 'No vault account activity matching your chosen criteria is available.',
    fr: "Aucune activité de compte du coffre-fort correspondant à vos critères n'est disponible.",
  },
  Team: {
    en: 'No Support Team report information matching your chosen criteria is available.',
    fr: "Aucune information de rapport d'équipe correspondant à vos critères n'est disponible.",
  },
};

/** The no-data body, in the same shape as the session reports' one (root `<error >`, no namespace). */
export function noDataBody(report: ActivityReportType, locale: PraLocale): string {
  return `${XML_DECLARATION}<error >${NO_DATA_MESSAGES[report][locale]}</error>`;
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
