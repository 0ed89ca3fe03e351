import { AccountValidator } from '@sekoia/automation-sdk-shim';
import { praCredentials } from './config';
import { FEEDS } from './feeds';
import { PraClient } from './pra/client';
import { PraError } from './pra/errors';
import { requiredPermission } from './pra/permissions';

interface FeedAccess {
  feed: string;
  readable: boolean;
  /** The permission the API account lacks, when it cannot read the feed's report. */
  permission?: string;
}

/**
 * `validate_module_configuration`: a token, then the smallest request of each feed's report, so
 * that the Sekoia UI can say which of URL, TLS or credentials is wrong before collection starts,
 * and which feeds the API account can read. One account serves every feed, and a user may run only
 * some of them, so a missing report permission fails the check only when no feed can be read; the
 * others are named with the permission each needs. The client's errors already say what to check.
 */
export class PraCredentialCheck extends AccountValidator {
  async validate(): Promise<boolean> {
    try {
      const client = new PraClient(praCredentials(this.module.configuration), {
        timeoutMs: 30_000,
        requestsPerSecond: 10,
        maxAttempts: 2,
      });
      const access: FeedAccess[] = [];
      for (const feed of FEEDS) access.push(await this.check(client, feed.title, feed.reports, feed.probe));
      this.details.feeds = access;
      return this.conclude(access);
    } catch (error) {
      this.error(error instanceof Error ? error.message : String(error));
      return false;
    }
  }

  private async check(
    client: PraClient,
    feed: string,
    reports: readonly string[],
    probe: (client: PraClient) => Promise<void>,
  ): Promise<FeedAccess> {
    try {
      await probe(client);
      return { feed, readable: true };
    } catch (error) {
      if (!(error instanceof PraError && error.kind === 'permission')) throw error;
      return { feed, readable: false, permission: requiredPermission(reports[reports.length - 1] as string) };
    }
  }

  private conclude(access: FeedAccess[]): boolean {
    const missing = access.filter((entry) => !entry.readable);
    const summary = missing
      .map((entry) => `${entry.feed} would fail: the API account needs '${entry.permission}'`)
      .join('; ');
    if (missing.length === access.length) {
      this.error(`PRA issued a token, but the API account can read none of the reports. ${summary}`);
      return false;
    }
    const readable = access.filter((entry) => entry.readable).map((entry) => entry.feed);
    this.log(`PRA credentials checked: a token was issued; readable: ${readable.join(', ')}`);
    if (missing.length > 0) this.log(summary, 'warning');
    return true;
  }
}
