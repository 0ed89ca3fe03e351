/** How the session feed asks PRA: listings of a time window, then the sessions' details by lsid. */
import type { ReportBody } from '../../pra/body';
import type { PraClient } from '../../pra/client';
import type { TimeWindow } from '../../engine/time-windows';
import type { ParserThread } from '../../xml/thread';
import { ErrorTexts } from '../error-texts';
import type { ThreadReport } from '../thread-parsers';
import type { SerializedItem } from './events';
import { parseSessionListing } from './listing';

/**
 * A listing window, in unix seconds. `end` lists the sessions that ended in it (closed only);
 * `start` those that started in it, running ones included.
 */
export interface ListingWindow {
  field: 'start' | 'end';
  from: number;
  /**
   * Undefined: up to PRA's own now (`duration=0`). A cycle's last window asks so, so that a session
   * that started or ended while the cycle ran (a slow token, retries) is not left for the next one.
   */
  to?: number;
}

/** What the session cycle needs of PRA; the cycle's tests give it an in-memory one. */
export interface SessionSource {
  list(window: ListingWindow): Promise<string[]>;
  /** Every event of the sessions asked for, then one `session` item per session, as they are parsed. */
  fetch(lsids: string[]): AsyncIterable<SerializedItem>;
  /** The same for every session that ended in `window` (closed ones only), in one request. */
  fetchClosed(window: TimeWindow): AsyncIterable<SerializedItem>;
  /** A cheap request that throws when PRA does not answer normally. */
  probe(): Promise<void>;
  /** The sessions likely asked for next: their request may be opened now, while the current reply is read. */
  prefetch?(lsids: string[]): void;
  /** Nothing more is asked for this time: a request opened ahead is closed. */
  cancelPrefetch?(): void;
}

/**
 * Attempts per detail request. Few, because a failed batch is split and asked again anyway: full
 * retries there would multiply waits by the depth of the split before a bad session is isolated.
 */
const DETAIL_ATTEMPTS = 2;
/** A listing holds one short element per session; beyond this the window is far too wide. */
const MAX_LISTING_BYTES = 64 * 1024 * 1024;

export function listSessions(client: PraClient, window: ListingWindow): Promise<string[]> {
  const duration = window.to === undefined ? 0 : Math.max(1, window.to - window.from);
  const report = 'AccessSessionListing';
  const read = (): Promise<string[]> =>
    client.readReport(
      {
        report,
        params: { [`${window.field}_time`]: String(window.from), duration: String(duration) },
        maxBytes: MAX_LISTING_BYTES,
      },
      parseSessionListing,
    );
  return ErrorTexts.of(client).whole({ report, windows: true }, read, []);
}

/** A token, then the smallest listing: what proves the API account can read session reports. */
export async function probeSessions(client: PraClient): Promise<void> {
  const now = Math.floor(Date.now() / 1000);
  await listSessions(client, { field: 'end', from: now, to: now + 1 });
}

/**
 * Details of many small sessions cost a round trip per batch more than they cost CPU: the next
 * batch's request is opened while the current reply is parsed (two requests at most), so that PRA
 * prepares one while the collector reads the other.
 */
export class PraSessionSource implements SessionSource {
  private next: { lsids: string; body: Promise<ReportBody> } | undefined;

  constructor(
    private readonly client: PraClient,
    private readonly parser: ParserThread<ThreadReport>,
  ) {}

  list(window: ListingWindow): Promise<string[]> {
    return listSessions(this.client, window);
  }

  prefetch(lsids: string[]): void {
    const key = lsids.join(',');
    if (this.next?.lsids === key) return;
    this.discardNext();
    if (lsids.length === 0) return;
    const body = this.open(lsids);
    // A failure is met when the batch is fetched, or never if it is not.
    body.catch(() => undefined);
    this.next = { lsids: key, body };
  }

  /** The request is opened (or its early one claimed) at once; the items come as they are parsed. */
  fetch(lsids: string[]): AsyncIterable<SerializedItem> {
    const key = lsids.join(',');
    let body: Promise<ReportBody>;
    if (this.next?.lsids === key) {
      body = this.next.body;
      this.next = undefined;
    } else {
      body = this.open(lsids);
    }
    return this.items(body);
  }

  /** PRA's `end_time` window returns the sessions that ended in it, whole: no listing, no lsids. */
  fetchClosed(window: TimeWindow): AsyncIterable<SerializedItem> {
    const body = this.client.openReport({
      report: 'AccessSession',
      params: { end_time: String(window.from), duration: String(Math.max(1, window.to - window.from)) },
      maxAttempts: DETAIL_ATTEMPTS,
    });
    return this.items(body);
  }

  probe(): Promise<void> {
    return probeSessions(this.client);
  }

  cancelPrefetch(): void {
    this.discardNext();
  }

  close(): Promise<void> {
    this.discardNext();
    return this.parser.close();
  }

  private async *items(opened: Promise<ReportBody>): AsyncGenerator<SerializedItem> {
    const body = await opened;
    try {
      const items = this.parser.parse<SerializedItem>('AccessSession', body);
      yield* ErrorTexts.of(this.client).items({ report: 'AccessSession', windows: true }, items);
    } finally {
      body.destroy();
    }
  }

  private open(lsids: string[]): Promise<ReportBody> {
    // The cycle sets aside ids that cannot be asked for (a comma would split one into two) before any batch.
    return this.client.openReport({
      report: 'AccessSession',
      params: { lsids: lsids.join(',') },
      maxAttempts: DETAIL_ATTEMPTS,
    });
  }

  private discardNext(): void {
    const next = this.next;
    this.next = undefined;
    next?.body.then(
      (body) => body.destroy(),
      () => undefined,
    );
  }
}
