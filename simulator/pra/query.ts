/**
 * Reporting parameters, and what a report shows of a session at one instant: `start_*` windows hold
 * the sessions that began in them, running ones included, `end_*` windows only closed sessions;
 * `duration=0` means up to now. Pure functions, so the rules can be read and tested in one place.
 * `SessionIndex` finds the sessions they apply to.
 */
import type { SessionView } from './render';
import type { SimSession } from './types';

export type ReportType = 'AccessSession' | 'AccessSessionListing';

/** `start` windows select on start time (open sessions included); `end` ones only closed sessions. */
export interface ReportWindow {
  field: 'start' | 'end';
  from: number;
  /** Inclusive upper bound; null for `duration=0` ("up to now"). */
  to: number | null;
}

export interface ReportQuery {
  report: ReportType;
  window?: ReportWindow;
  /** `lsid` / `lsids` selection (AccessSession only). */
  lsids?: string[];
}

const WINDOW_PARAMS = ['start_time', 'end_time'] as const;
/** Reports a PRA tenant knows but the simulator does not produce. */
const OTHER_REPORTS = new Set([
  'AccessSessionRecording',
  'AccessSessionSummary',
  'CommandShellRecording',
  'EndpointLicenseUsage',
  'JumpItem',
]);

function parseUnsigned(value: string): number | undefined {
  return /^\d+$/.test(value) ? Number(value) : undefined;
}

/**
 * Parses the `start_*` / `end_*` window of a request, the same for every report; undefined when no
 * window parameter is given. Problems come back as the message of the HTTP 200 `<error>` a tenant
 * would send. `duration` counts seconds and defaults to 0, which leaves `to` null ("up to now").
 * PRA also takes `start_date` / `end_date` (days); the collector never sends them, so neither does
 * the simulator answer them.
 */
export function parseWindow(
  params: Record<string, string>,
): ReportWindow | undefined | { error: string; param?: string } {
  const given = WINDOW_PARAMS.filter((p) => params[p] !== undefined);
  const fields = new Set(given.map((p) => p.split('_')[0]));
  if (fields.size > 1) return { error: 'Only one of start_* or end_* may be given.' };

  const chosen = given[0];
  if (chosen === undefined) return undefined;
  const from = parseUnsigned(params[chosen]);
  if (from === undefined) return { error: `Invalid value for ${chosen}: ${params[chosen]}.`, param: chosen };
  const duration = params.duration === undefined ? 0 : parseUnsigned(params.duration);
  if (duration === undefined)
    return { error: `Invalid value for duration: ${params.duration}.`, param: 'duration' };
  return {
    field: chosen.startsWith('start') ? 'start' : 'end',
    from,
    to: duration === 0 ? null : from + duration,
  };
}

/**
 * Parses a reporting request. Problems come back as the message of the HTTP 200 `<error>` a tenant
 * would send. `duration` defaults to 0.
 */
export function parseReportQuery(params: Record<string, string>): ReportQuery | { error: string } {
  const report = params.generate_report;
  if (report === undefined || report === '') return { error: 'Missing required parameter: generate_report.' };
  if (report !== 'AccessSession' && report !== 'AccessSessionListing') {
    return {
      error: OTHER_REPORTS.has(report)
        ? `Report type ${report} is not available on this simulator.`
        : `Invalid report type: ${report}.`,
    };
  }

  const window = parseWindow(params);
  if (window !== undefined && 'error' in window) return window;

  const lsidParams = ['lsid', 'lsids'].filter((p) => params[p] !== undefined);
  if (lsidParams.length > 0 && report === 'AccessSessionListing') {
    return { error: `Parameter ${lsidParams[0]} is not valid for AccessSessionListing.` };
  }
  const lsids =
    lsidParams.length > 0
      ? lsidParams.flatMap((p) => params[p].split(',')).filter((l) => l !== '')
      : undefined;
  if (lsids?.length === 0) return { error: 'Invalid value for lsids.' };

  if (!window && !lsids) {
    return {
      error:
        report === 'AccessSession'
          ? 'One of start_time, end_time, lsid or lsids is required.'
          : 'One of start_time or end_time is required.',
    };
  }
  return { report, window, lsids };
}

/**
 * What a report produced at `now` shows of a session: nothing before it starts; an end only once
 * `endTime` has passed (a later end renders as still open); only events logged up to `now`.
 */
export function viewAt(session: SimSession, now: number): SessionView | undefined {
  if (session.startTime > now) return undefined;
  const endTime = session.endTime !== null && session.endTime <= now ? session.endTime : null;
  const events = session.events;
  const last = events.at(-1);
  return {
    session,
    endTime,
    events: last === undefined || last.timestamp <= now ? events : events.filter((e) => e.timestamp <= now),
    now,
  };
}

/** Whether a session, as seen in `view`, falls in the window (bounds inclusive). */
export function inWindow(view: SessionView, window: ReportWindow): boolean {
  const at = window.field === 'start' ? view.session.startTime : view.endTime;
  return at !== null && at >= window.from && (window.to === null || at <= window.to);
}
