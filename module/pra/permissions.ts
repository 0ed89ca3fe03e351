/**
 * The reporting permission each PRA report needs on the API account, as PRA's /login names it
 * (Management > API Configuration, with "Enable XML API" ticked). Team has no permission of its own
 * in BeyondTrust's documentation; Sekoia's asks for the access-session one, which is taken here.
 */
const PERMISSIONS: Readonly<Record<string, string>> = {
  AccessSessionListing: 'Allow Access to Access Session Reports and Recordings',
  AccessSession: 'Allow Access to Access Session Reports and Recordings',
  Team: 'Allow Access to Access Session Reports and Recordings',
  VaultAccountActivity: 'Allow Access to Vault Account Activity Reports',
  Syslog: 'Allow Access to Syslog Reports',
};

export function requiredPermission(report: string): string {
  return PERMISSIONS[report] ?? 'the reporting permission of this report';
}
