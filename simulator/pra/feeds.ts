/**
 * Serves VaultAccountActivity, Team and Syslog, and holds their data and settings. The simulator's
 * `report()` hands every request for one of them here once the token is checked.
 */
import { noDataBody } from './activity-report';
import { parseActivityWindow } from './activity-window';
import { Rng } from './data';
import type { FeedOptions, PraLocale, SimReport } from './feed-types';
import { Names, renderError, type XmlStyle } from './render';
import { SyslogFeed, syslogSettings } from './syslog';
import { zipStream } from './syslog-archive';
import { TeamActivityLog, teamReportChunks } from './team';
import { VaultActivityLog, vaultReportChunks } from './vault';

const XML_TYPE = 'text/xml; charset=UTF-8';
const FEED_REPORTS: ReadonlySet<string> = new Set<SimReport>(['VaultAccountActivity', 'Team', 'Syslog']);

export interface FeedReply {
  status: number;
  headers: Record<string, string>;
  body: Iterable<string | Uint8Array> | AsyncIterable<string | Uint8Array>;
}

export interface FeedContext {
  seed: number;
  clientId: string;
  now: number;
  historySeconds: number;
}

function xmlReply(body: Iterable<string>): FeedReply {
  return { status: 200, headers: { 'Content-Type': XML_TYPE }, body };
}

/** Another PRNG stream per feed, so adding feed data never changes the sessions of a seed. */
function feedRng(seed: number, stream: number): Rng {
  return new Rng((seed + Math.imul(stream, 0x9e3779b9)) >>> 0);
}

export class FeedReports {
  readonly vault: VaultActivityLog;
  readonly team: TeamActivityLog;
  readonly syslog: SyslogFeed;
  locale: PraLocale;
  windowSlack: number;
  private readonly emptyReply: NonNullable<FeedOptions['emptyActivityReply']>;
  private readonly errors = new Map<string, string>();

  constructor(options: FeedOptions, context: FeedContext) {
    const { seed, clientId, now, historySeconds } = context;
    this.vault = new VaultActivityLog(feedRng(seed, 1), {
      count: options.vaultActivities ?? 12,
      now,
      historySeconds,
    });
    this.team = new TeamActivityLog(feedRng(seed, 2), {
      teams: options.teams ?? 3,
      events: options.teamEvents ?? 15,
      now,
      historySeconds,
    });
    this.syslog = new SyslogFeed(
      feedRng(seed, 3),
      syslogSettings(options.syslog),
      clientId,
      now,
      historySeconds,
    );
    this.locale = options.locale ?? 'en';
    this.windowSlack = options.windowSlack ?? 0;
    this.emptyReply = options.emptyActivityReply ?? 'error';
  }

  setError(report: SimReport, message: string | undefined): void {
    if (message === undefined) this.errors.delete(report);
    else this.errors.set(report, message);
  }

  /** The `<error>` text a report was told to answer with, if any: any report, sessions' too. */
  errorFor(report: string | undefined): string | undefined {
    return report === undefined ? undefined : this.errors.get(report);
  }

  /** The reply to a reporting request, or undefined when `generate_report` names another report. */
  reply(params: Record<string, string>, now: number, style: XmlStyle): FeedReply | undefined {
    const report = params.generate_report;
    if (!FEED_REPORTS.has(report)) return undefined;
    if (report === 'Syslog') {
      // PRA logs the download as it serves it, so the archive holds its own record.
      this.syslog.logReportGenerated(now);
      return {
        status: 200,
        headers: {
          'Content-Type': 'application/zip',
          'Content-Disposition': 'attachment; filename="syslog.zip"',
        },
        body: zipStream(this.syslog.members()),
      };
    }
    const window = parseActivityWindow(params, now);
    if ('error' in window) return xmlReply([renderError(window.error, style)]);
    const names = new Names(style);
    if (report === 'VaultAccountActivity') {
      const activity = this.vault.select(window, this.windowSlack, now);
      if (activity.length === 0 && this.emptyReply === 'error')
        return xmlReply([noDataBody(report, this.locale)]);
      return xmlReply(vaultReportChunks(names, window, activity));
    }
    const teams = this.team.select(window, this.windowSlack, now);
    if (teams.length === 0 && this.emptyReply === 'error') return xmlReply([noDataBody('Team', this.locale)]);
    return xmlReply(teamReportChunks(names, window, teams));
  }
}
