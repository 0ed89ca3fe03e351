import { AccountValidator } from '@sekoia/automation-sdk-shim';
import { praCredentials } from './config';
import { FEEDS, type FeedEntry } from './feeds/registry';
import { PraClient } from './pra/client';
import { PraError } from './pra/errors';
import { requiredPermission } from './pra/reports';

/** One feed's verdict, as `results.feeds` shows it. */
interface FeedAccess {
  feed: string;
  readable: boolean;
  /** Why the feed cannot be read, when it cannot. */
  reason?: string;
  /** The permission the API account lacks, when PRA refused the report (HTTP 403). */
  permission?: string;
}

/** Failures of the whole account: a wrong URL or TLS, credentials refused. */
const ACCOUNT_KINDS: ReadonlySet<PraError['kind']> = new Set(['configuration', 'authentication']);

/**
 * `validate_module_configuration`: a token, then the smallest request of each feed's report, so
 * that the Sekoia UI can say which of URL, TLS or credentials is wrong before collection starts,
 * and which feeds the API account can read. Only what concerns the whole account fails the check
 * (the URL, TLS, the token): one account serves every feed, a user may run only some of them, and
 * an appliance may lack a report, so each feed is judged on its own and the check passes while
 * one feed is readable. The client's errors already say what to check.
 */
export class PraCredentialCheck extends AccountValidator {
  async validate(): Promise<boolean> {
    const token = { issued: false };
    try {
      const client = new PraClient(praCredentials(this.module.configuration), {
        timeoutMs: 30_000,
        requestsPerSecond: 10,
        maxAttempts: 2,
        onRequest: ({ report, status }) => {
          if (report === 'token' && status === 200) token.issued = true;
        },
        // A report's `<error>` may echo the token: the result sent to the platform must not.
        onToken: (issued) => this.module.masker.add(issued),
      });
      const access: FeedAccess[] = [];
      for (const feed of FEEDS) access.push(await this.check(client, feed, token));
      this.details.feeds = access;
      return this.conclude(access);
    } catch (error) {
      this.error(error instanceof Error ? error.message : String(error));
      return false;
    }
  }

  /** Throws what fails the whole account; any other failure is this feed's. */
  private async check(
    client: PraClient,
    { feed }: FeedEntry,
    token: { issued: boolean },
  ): Promise<FeedAccess> {
    try {
      await feed.probe(client);
      return { feed: feed.title, readable: true };
    } catch (error) {
      if (!token.issued || !(error instanceof PraError) || ACCOUNT_KINDS.has(error.kind)) throw error;
      if (error.kind !== 'permission') return { feed: feed.title, readable: false, reason: error.message };
      const permission = requiredPermission(feed.reports[0]);
      return { feed: feed.title, readable: false, reason: error.message, permission };
    }
  }

  private conclude(access: FeedAccess[]): boolean {
    const unreadable = access.filter((entry) => !entry.readable);
    const summary = unreadable.map((entry) => `${entry.feed} would fail: ${entry.reason}`).join('; ');
    if (unreadable.length === access.length) {
      this.error(`PRA issued a token, but none of the feeds can be read. ${summary}`);
      return false;
    }
    const readable = access.filter((entry) => entry.readable).map((entry) => entry.feed);
    this.log(`PRA credentials checked: a token was issued; readable: ${readable.join(', ')}`);
    if (unreadable.length > 0) this.log(summary, 'warning');
    return true;
  }
}
