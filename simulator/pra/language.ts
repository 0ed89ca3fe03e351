/**
 * The language a tenant answers in, and the reports it has. PRA words its `<error>` texts in the
 * site's language: "no data" per report, refused parameters, unknown reports. Only the English and
 * French no-data texts were ever seen; a test can make up a language nobody knows in advance, so a
 * collector that relies on known texts is caught.
 */
import { Rng } from './data';
import type { PraLanguage, PraLocale, SimReportName } from './feed-types';
import { parseWindow } from './query';

/** The English texts live tenants send (no-data) or that the simulator always sent (the others). */
const ENGLISH: PraLanguage = {
  noData: {
    AccessSession: 'No Support report information matching your chosen criteria is available.',
    AccessSessionListing: 'No Support report information matching your chosen criteria is available.',
    VaultAccountActivity: 'No vault account activity matching your chosen criteria is available.',
    Team: 'No Support Team report information matching your chosen criteria is available.',
  },
  invalidRequest: 'Invalid value for {param}: {value}.',
  unknownReport: 'Invalid report type: {report}.',
};

const FRENCH: PraLanguage = {
  noData: {
    AccessSession:
      "Aucune information de rapport d'assistance correspondant à vos critères n'est disponible.",
    AccessSessionListing:
      "Aucune information de rapport d'assistance correspondant à vos critères n'est disponible.",
    VaultAccountActivity:
      "Aucune activité de compte du coffre-fort correspondant à vos critères n'est disponible.",
    Team: "Aucune information de rapport d'équipe correspondant à vos critères n'est disponible.",
  },
  invalidRequest: 'Valeur non valide pour {param} : {value}.',
  unknownReport: 'Type de rapport non valide : {report}.',
};

const SYLLABLES = ['ka', 'lo', 'mer', 'zu', 'ven', 'tis', 'rah', 'olm', 'ge', 'dri', 'sok', 'ü', 'ñe', 'ij'];

function word(rng: Rng): string {
  let text = '';
  for (let i = rng.int(2, 3); i > 0; i--) text += SYLLABLES[rng.int(0, SYLLABLES.length - 1)];
  return text;
}

function sentence(rng: Rng, words: number, tail = ''): string {
  const parts = Array.from({ length: words }, () => word(rng));
  const text = `${parts.join(' ')}${tail}.`;
  return text[0].toUpperCase() + text.slice(1);
}

/**
 * A language no collector can know: made-up words, the same for the same seed, a different no-data
 * text per report, and refusals that echo what they refuse, as real ones do.
 */
export function madeUpLanguage(seed: number): PraLanguage {
  const rng = new Rng(seed >>> 0);
  const listing = sentence(rng, 7);
  return {
    noData: {
      AccessSession: sentence(rng, 6),
      AccessSessionListing: listing,
      VaultAccountActivity: sentence(rng, 8),
      Team: sentence(rng, 5),
    },
    invalidRequest: sentence(rng, 3, ' {param}: {value}'),
    unknownReport: sentence(rng, 2, ' {report}'),
  };
}

export function languageOf(locale: PraLocale): PraLanguage {
  if (locale === 'en') return ENGLISH;
  if (locale === 'fr') return FRENCH;
  return locale;
}

export function noDataText(locale: PraLocale, report: SimReportName): string {
  return languageOf(locale).noData[report];
}

function fill(template: string, values: Record<string, string>): string {
  return template.replace(/\{(\w+)\}/g, (whole, name: string) => values[name] ?? whole);
}

export function unknownReportText(locale: PraLocale, report: string): string {
  return fill(languageOf(locale).unknownReport, { report });
}

/** How a tenant refuses what it cannot answer, before any report is produced. */
export interface RefusalSettings {
  locale: PraLocale;
  /** Reports this appliance does not have, and how it says so. */
  missingReports: Partial<Record<string, 'error' | 404>>;
  /** Windows that start more than this many seconds before now are refused as invalid. */
  rejectWindowsOlderThan?: number;
  /** The error the report was told to answer every request with (a broken report), before any check of its parameters. */
  reportError?: string;
}

export type Refusal = { status: 404 } | { error: string };

/**
 * The refusal a request gets, or undefined when it is to be answered: a missing report, a report
 * told to fail, or a window parameter the tenant does not accept (in its language, echoing the
 * parameter and its value).
 */
export function refusal(
  params: Record<string, string>,
  now: number,
  settings: RefusalSettings,
): Refusal | undefined {
  const report = params.generate_report ?? '';
  const missing = settings.missingReports[report];
  if (missing === 404) return { status: 404 };
  if (missing === 'error') return { error: unknownReportText(settings.locale, report) };
  if (settings.reportError !== undefined) return { error: settings.reportError };
  const window = parseWindow(params);
  const template = languageOf(settings.locale).invalidRequest;
  if (window !== undefined && 'error' in window) {
    if (settings.locale === 'en' || window.param === undefined) return undefined;
    return { error: fill(template, { param: window.param, value: params[window.param] ?? '' }) };
  }
  const oldest = settings.rejectWindowsOlderThan;
  if (window !== undefined && oldest !== undefined && window.from < now - oldest) {
    const param = `${window.field}_time`;
    return { error: fill(template, { param, value: params[param] ?? String(window.from) }) };
  }
  return undefined;
}
