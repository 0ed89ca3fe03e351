/** How the session feed asks PRA: listings of a time window, then the sessions' details by lsid. */
import type { PraClient } from '../../pra/client';
import type { ParserThread } from '../../xml/thread';
import type { SerializedItem } from './events';
import { parseSessionListing } from './listing';

/**
 * A listing window, in unix seconds. `end` lists the sessions that ended in it (closed only);
 * `start` those that started in it, running ones included.
 */
export interface ListingWindow {
  field: 'start' | 'end';
  from: number;
  to: number;
}

/** What the session cycle needs of PRA; the cycle's tests give it an in-memory one. */
export interface SessionSource {
  list(window: ListingWindow): Promise<string[]>;
  /** Every event of the sessions asked for, then one `session` item per session, as they are parsed. */
  fetch(lsids: string[]): AsyncIterable<SerializedItem>;
  /** A cheap request that throws when PRA does not answer normally. */
  probe(): Promise<void>;
}

/**
 * Attempts per detail request. Few, because a failed batch is split and asked again anyway: full
 * retries there would multiply waits by the depth of the split before a bad session is isolated.
 */
const DETAIL_ATTEMPTS = 2;
/** A listing holds one short element per session; beyond this the window is far too wide. */
const MAX_LISTING_BYTES = 64 * 1024 * 1024;

export function listSessions(client: PraClient, window: ListingWindow): Promise<string[]> {
  const duration = Math.max(1, window.to - window.from);
  return client.readReport(
    {
      report: 'AccessSessionListing',
      params: { [`${window.field}_time`]: String(window.from), duration: String(duration) },
      maxBytes: MAX_LISTING_BYTES,
    },
    parseSessionListing,
  );
}

/** A token, then the smallest listing: what proves the API account can read session reports. */
export async function probeSessions(client: PraClient): Promise<void> {
  const now = Math.floor(Date.now() / 1000);
  await listSessions(client, { field: 'end', from: now, to: now + 1 });
}

export class PraSessionSource implements SessionSource {
  constructor(
    private readonly client: PraClient,
    private readonly parser: ParserThread,
  ) {}

  list(window: ListingWindow): Promise<string[]> {
    return listSessions(this.client, window);
  }

  async *fetch(lsids: string[]): AsyncGenerator<SerializedItem> {
    const invalid = lsids.find((lsid) => lsid === '' || lsid.includes(','));
    if (invalid !== undefined) throw new RangeError(`not a usable lsid: ${JSON.stringify(invalid)}`);
    const body = await this.client.openReport({
      report: 'AccessSession',
      params: { lsids: lsids.join(',') },
      maxAttempts: DETAIL_ATTEMPTS,
    });
    try {
      yield* this.parser.parse<SerializedItem>('AccessSession', body);
    } finally {
      body.destroy();
    }
  }

  probe(): Promise<void> {
    return probeSessions(this.client);
  }

  close(): Promise<void> {
    return this.parser.close();
  }
}
