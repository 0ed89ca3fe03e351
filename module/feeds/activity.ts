/**
 * A feed of one of PRA's activity reports (Vault account activity, Team): a time-window report read
 * piece by piece on the engine's window cycle, exactly once by the copies of each event.
 */
import { collectionConfig, type CollectionConfig } from '../config';
import type { TimedEvent } from '../engine/copy-ledger';
import type { TimeWindow } from '../engine/time-windows';
import type { Feed } from '../engine/feed';
import { WindowCycle, type WindowSource } from '../engine/window-cycle';
import { TimedEventsState } from '../engine/timed-events-state';
import type { PraClient, ReportRequest } from '../pra/client';
import type { ReportName } from '../pra/reports';
import type { ParserThread } from '../xml/thread';
import { ErrorTexts } from './error-texts';
import { createParserThread } from './parser-thread';
import type { ThreadReport } from './thread-parsers';

export interface ActivityReport {
  /** For logs: "PRA Vault account activity". */
  title: string;
  /** `generate_report`, also the name of its parser in the parse thread. */
  report: ThreadReport & ReportName;
  /** The same parser in this thread, for the probe's tiny reply. */
  parse: (body: AsyncIterable<Buffer>) => AsyncIterable<unknown>;
}

/**
 * PRA's window is `start_time` plus `duration` seconds. Whether an activity report applies
 * `start_time` or `end_time` to its events is not documented; both bounds are taken as approximate
 * and the copy ledger keeps each event to the one window that contains it.
 */
function windowRequest(report: string, window: TimeWindow): ReportRequest {
  return {
    report,
    params: { start_time: String(window.from), duration: String(Math.max(1, window.to - window.from)) },
  };
}

/** A token, then the smallest window of the report: what proves the API account can read it. */
async function probeReport(client: PraClient, spec: ActivityReport): Promise<void> {
  const now = Math.floor(Date.now() / 1000);
  const read = (): Promise<void> =>
    client.readReport(windowRequest(spec.report, { from: now, to: now + 1 }), async (body) => {
      for await (const event of spec.parse(body)) void event;
    });
  await ErrorTexts.of(client).whole({ report: spec.report, windows: true }, read, undefined);
}

class ActivitySource implements WindowSource {
  constructor(
    private readonly client: PraClient,
    private readonly parser: ParserThread<ThreadReport>,
    private readonly spec: ActivityReport,
  ) {}

  async *fetch(window: TimeWindow): AsyncGenerator<TimedEvent> {
    const { report } = this.spec;
    const body = await this.client.openReport(windowRequest(report, window));
    try {
      const events = this.parser.parse<TimedEvent>(report, body);
      yield* ErrorTexts.of(this.client).items({ report, windows: true }, events);
    } finally {
      body.destroy();
    }
  }

  probe(): Promise<void> {
    return probeReport(this.client, this.spec);
  }

  close(): Promise<void> {
    return this.parser.close();
  }
}

export function activityFeed(spec: ActivityReport): Feed<CollectionConfig, TimedEventsState> {
  return {
    title: spec.title,
    reports: [spec.report],
    configure: collectionConfig,
    openState: (saved, now, config, file) =>
      TimedEventsState.open(saved, now, config.firstRunLookbackSeconds, config.overlapSeconds, file),
    probe: (client) => probeReport(client, spec),
    start: (context) =>
      new WindowCycle(
        context,
        context.state,
        new ActivitySource(context.client, createParserThread(), spec),
        spec.report,
      ),
  };
}
