/**
 * The PRA reports this module reads, and what PRA says of each: the permission the API account
 * needs for it (as PRA's /login names it, Management > API Configuration, with "Enable XML API"
 * ticked) and the root element of its XML reply. A report name outside this table fails to compile.
 */

/**
 * Team has no permission of its own in BeyondTrust's documentation; Sekoia's asks for the
 * access-session one, which is taken here.
 */
const SESSION_REPORTS = 'Allow Access to Access Session Reports and Recordings';

export const PRA_REPORTS = {
  AccessSession: { permission: SESSION_REPORTS, root: 'session_list' },
  AccessSessionListing: { permission: SESSION_REPORTS, root: 'session_summary_list' },
  VaultAccountActivity: {
    permission: 'Allow Access to Vault Account Activity Reports',
    root: 'vault_account_activity_list',
  },
  Team: { permission: SESSION_REPORTS, root: 'team_activity_list' },
  /** A ZIP archive, not XML (or PRA's `<error>` document). */
  Syslog: { permission: 'Allow Access to Syslog Reports', root: undefined },
} as const satisfies Record<string, { permission: string; root: string | undefined }>;

export type ReportName = keyof typeof PRA_REPORTS;

export const REPORT_NAMES = Object.keys(PRA_REPORTS) as ReportName[];

export function isReportName(name: string): name is ReportName {
  return Object.hasOwn(PRA_REPORTS, name);
}

/** The permission a report needs; any other name (a report this module never asks for) gets a generic hint. */
export function requiredPermission(report: string): string {
  return isReportName(report) ? PRA_REPORTS[report].permission : 'the reporting permission of this report';
}

/** PRA keeps its reports' data 90 days: nothing older can be asked for, so nothing older is kept. */
export const PRA_RETENTION_SECONDS = 90 * 24 * 3600;
