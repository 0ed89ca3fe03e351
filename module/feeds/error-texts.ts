/**
 * What a PRA `<error>` text means, in whatever language the site answers. PRA says "no data" with
 * an HTTP 200 `<error>` whose text follows the site's language and differs per report; nobody
 * publishes the German, Spanish or Dutch forms. The tenant itself can say what its text is: a
 * request for a window that cannot hold data answers with exactly that text. The English and
 * French forms are known in advance (the report parsers read them as empty replies); any other
 * text is compared with what PRA answers to such reference requests, learned per report.
 */
import type { PraClient, ReportRequest } from '../pra/client';
import { PraError } from '../pra/errors';
import { streamXml } from '../xml/reader';
import { ErrorTextSink, isUnknownReportMessage } from '../xml/report-sink';

export type ErrorMeaning = 'no_data' | 'unavailable' | 'error';

/** The report a reply belongs to; `windows`: it takes `start_time` and `duration` (not Syslog). */
export interface ReportAsked {
  report: string;
  windows: boolean;
}

/** What PRA answers to the reference requests of one report, as `comparable` keys. */
interface ReferenceTexts {
  noData: string | undefined;
  /** The report answers right and wrong requests with the same error: it cannot be used. */
  refusesAll: string | undefined;
}

/** A name no PRA report has: what PRA answers for it is its "unknown report" text. */
const UNKNOWN_REPORT = 'NoSuchReportOfThisModule';
/** The reference replies are tiny; a large one is no `<error>` and is not read further. */
const MAX_REFERENCE_BYTES = 64 * 1024;
/**
 * A text judged a real error is not compared again for this long: a report that keeps failing the
 * same way costs its reference requests a few times an hour, not every cycle.
 */
const RECHECK_AFTER_MS = 15 * 60 * 1000;
/** A site changes its language seldom: one lesson a minute at most, whatever texts arrive. */
const RELEARN_AFTER_MS = 60 * 1000;
const DAY = 86_400;

/**
 * Windows that cannot hold data, tried in turn: one second in 1970, one long before PRA's 90-day
 * retention, one in the future. Guessed, not checked: PRA might reject a window that old (or in the
 * future) with its "invalid parameters" text rather than "no data", which is why a candidate whose
 * text is also what a request wrong on purpose gets is never taken as the no-data text.
 */
function impossibleWindows(nowSeconds: number): Array<Record<string, string>> {
  return [
    { start_time: String(DAY), duration: '1' },
    { start_time: String(nowSeconds - 400 * DAY), duration: '1' },
    { start_time: String(nowSeconds + 30 * DAY), duration: '1' },
  ];
}

/**
 * A request wrong on purpose: a start that is no time. A lenient server reading it as 0 still asks
 * for one second of 1970, never for the whole history.
 */
const WRONG_ON_PURPOSE: Record<string, string> = { start_time: 'never', duration: '1' };

/** What `key` means by what was learned of its report, undefined when it is none of those texts. */
function meaningIn(references: ReferenceTexts, key: string): ErrorMeaning | undefined {
  if (references.noData === key) return 'no_data';
  if (references.refusesAll === key) return 'unavailable';
  return undefined;
}

const perClient = new WeakMap<PraClient, ErrorTexts>();

/**
 * Two texts that say the same once spacing, Unicode form, numbers and the names and values a
 * request sent are set aside: PRA may echo the report's name or the value it refuses ("Invalid
 * value for start_time: 86400."), and that must not make one text two.
 */
function comparable(text: string, sent: readonly string[]): string {
  let masked = text.normalize('NFC');
  for (const value of sent) if (value !== '') masked = masked.split(value).join('#');
  return masked.replace(/\d+/g, '#').replace(/#+/g, '#').replace(/\s+/g, ' ').trim();
}

function sentIn(request: Pick<ReportRequest, 'report' | 'params'>): string[] {
  return [request.report, ...Object.values(request.params ?? {})];
}

export class ErrorTexts {
  /** `knowsNoData`: the lesson found the no-data text; one that did not may be taken again at once. */
  private readonly references = new Map<
    string,
    { at: number; texts: Promise<ReferenceTexts>; knowsNoData: boolean }
  >();
  private unknownReport: Promise<string | undefined> | undefined;
  /** Texts judged real errors, by report, with when they were judged. */
  private readonly judged = new Map<string, { at: number; texts: Set<string> }>();

  constructor(
    private readonly client: PraClient,
    private readonly nowMs: () => number = Date.now,
  ) {}

  /** The one instance of a client: what a tenant's texts mean is learned once per process. */
  static of(client: PraClient): ErrorTexts {
    let texts = perClient.get(client);
    if (texts === undefined) {
      texts = new ErrorTexts(client);
      perClient.set(client, texts);
    }
    return texts;
  }

  /** The items of a streamed report; a no-data `<error>` ends them as an empty reply. */
  async *items<T>(asked: ReportAsked, items: AsyncIterable<T>): AsyncGenerator<T> {
    try {
      yield* items;
    } catch (error) {
      await this.absorb(asked, error);
    }
  }

  /** A small report read whole; a no-data `<error>` reads as `empty`. */
  async whole<T>(asked: ReportAsked, read: () => Promise<T>, empty: T): Promise<T> {
    try {
      return await read();
    } catch (error) {
      await this.absorb(asked, error);
      return empty;
    }
  }

  /** Returns for a no-data reply; throws anything else, a missing report as 'unavailable'. */
  private async absorb(asked: ReportAsked, error: unknown): Promise<void> {
    if (!(error instanceof PraError)) throw error;
    if (error.kind === 'http' && error.status === 404) {
      throw error.with({
        kind: 'unavailable',
        reason: `PRA answered HTTP 404 to the ${asked.report} report: this appliance may not have the report (a PRA version older than it), or the base URL is not the PRA site`,
      });
    }
    if (error.kind !== 'api' || error.apiMessage === undefined) throw error;
    const meaning = await this.meaning(asked, error.apiMessage);
    if (meaning === 'no_data') return;
    if (meaning === 'error') throw error;
    throw error.with({
      kind: 'unavailable',
      reason: `PRA has no usable ${asked.report} report on this appliance: it answers "${error.apiMessage.trim()}" to every request for it`,
    });
  }

  /** What `text`, an `<error>` of `asked.report` that the known wordings did not cover, means. */
  async meaning(asked: ReportAsked, text: string): Promise<ErrorMeaning> {
    const { report } = asked;
    if (isUnknownReportMessage(text)) return 'unavailable';
    const key = comparable(text, [report]);
    const judged = this.judged.get(report);
    if (judged !== undefined && this.nowMs() - judged.at < RECHECK_AFTER_MS && judged.texts.has(key))
      return 'error';
    let references = await this.referencesOf(asked);
    // A text that matches nothing learned may mean the site changed its language: learn again.
    if (meaningIn(references, key) === undefined) references = await this.referencesOf(asked, true);
    const unknown = await this.unknownReportText();
    const meaning = unknown === key ? 'unavailable' : (meaningIn(references, key) ?? 'error');
    if (meaning === 'error') this.judgedAnError(report, key);
    return meaning;
  }

  private judgedAnError(report: string, key: string): void {
    const now = this.nowMs();
    const judged = this.judged.get(report);
    if (judged === undefined || now - judged.at >= RECHECK_AFTER_MS) {
      this.judged.set(report, { at: now, texts: new Set([key]) });
    } else {
      judged.texts.add(key);
    }
  }

  /** What was learned of a report; `again`: learn anew, unless that was done a moment ago. */
  private referencesOf(asked: ReportAsked, again = false): Promise<ReferenceTexts> {
    const learned = this.references.get(asked.report);
    const fresh = learned !== undefined && this.nowMs() - learned.at < RELEARN_AFTER_MS;
    if (learned !== undefined && (!again || (fresh && learned.knowsNoData))) return learned.texts;
    const entry = { at: this.nowMs(), texts: this.learn(asked), knowsNoData: false };
    this.references.set(asked.report, entry);
    entry.texts.then(
      (texts) => {
        entry.knowsNoData = texts.noData !== undefined;
      },
      // A failed lesson is asked again next time rather than remembered.
      () => this.references.delete(asked.report),
    );
    return entry.texts;
  }

  /**
   * The no-data text is what a window that cannot hold data gets, unless a request wrong on
   * purpose gets it too (then it is PRA's "invalid request" text) or an unknown report does.
   */
  private async learn(asked: ReportAsked): Promise<ReferenceTexts> {
    const learned: ReferenceTexts = { noData: undefined, refusesAll: undefined };
    if (!asked.windows) return learned;
    const { report } = asked;
    const wrong = await this.errorKeyOf({ report, params: WRONG_ON_PURPOSE });
    const unknown = await this.unknownReportText();
    for (const params of impossibleWindows(Math.floor(this.nowMs() / 1000))) {
      const key = await this.errorKeyOf({ report, params });
      // A reply without `<error>`: this report says "no data" by an empty list.
      if (key === null) return learned;
      if (key === undefined) continue;
      // The same error for a right and a wrong request: this window is refused, or every one is.
      if (key === wrong) learned.refusesAll = key;
      else if (key === unknown) return { noData: undefined, refusesAll: key };
      else return { noData: key, refusesAll: undefined };
    }
    return learned;
  }

  /** What PRA answers for a report name it cannot know, comparable with any report's texts. */
  private unknownReportText(): Promise<string | undefined> {
    if (this.unknownReport === undefined) {
      this.unknownReport = this.errorKeyOf({ report: UNKNOWN_REPORT }).then((key) => key ?? undefined);
      this.unknownReport.catch(() => {
        this.unknownReport = undefined;
      });
    }
    return this.unknownReport;
  }

  /**
   * The `<error>` text PRA answers `request` with, as a `comparable` key; null for an XML reply
   * without one; undefined for no usable reply (an HTTP error, a page, a large body).
   */
  private async errorKeyOf(request: Omit<ReportRequest, 'maxBytes'>): Promise<string | null | undefined> {
    try {
      const text = await this.client.readReport(
        { ...request, maxBytes: MAX_REFERENCE_BYTES, maxAttempts: 2 },
        async (body) => {
          const sink = new ErrorTextSink();
          for await (const item of streamXml(body, sink)) void item;
          return sink.text ?? null;
        },
      );
      return text === null ? null : comparable(text, sentIn(request));
    } catch (error) {
      if (error instanceof PraError && error.blame === 'tenant') throw error;
      return undefined;
    }
  }
}
