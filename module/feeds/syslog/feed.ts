/** The Syslog feed: PRA's administrative audit trail (logins, API tokens, users, permissions, policies). */
import { collectionConfig } from '../../config';
import type { Feed } from '../../engine/feed';
import { TimedEventsState } from '../../engine/timed-events-state';
import type { CollectionConfig } from '../../config';
import { SyslogCycle } from './cycle';
import { PraSyslogSource, probeSyslog } from './source';

/**
 * How far each download is read again before the watermark, with copies checked: for records PRA
 * writes a little after their time, and for one still being written when the last archive was made.
 * Syslog is written within seconds; a longer overlap would only make the state bigger.
 */
const SYSLOG_OVERLAP_SECONDS = 600;
/** One download per cycle, and a token now and then: no rate to tune. */
const SYSLOG_REQUESTS_PER_SECOND = 10;

export const syslogFeed: Feed<CollectionConfig, TimedEventsState> = {
  title: 'PRA syslog audit records',
  reports: ['Syslog'],
  configure: (credentials, args) =>
    collectionConfig(credentials, args, {
      overlapSeconds: SYSLOG_OVERLAP_SECONDS,
      requestsPerSecond: SYSLOG_REQUESTS_PER_SECOND,
    }),
  openState: (saved, now, config, file) =>
    TimedEventsState.open(saved, now, config.firstRunLookbackSeconds, config.overlapSeconds, file),
  probe: probeSyslog,
  start: (context) =>
    new SyslogCycle(
      context,
      context.state,
      new PraSyslogSource(
        context.client,
        context.dataDir,
        (warning) => context.log(warning.message, 'warning'),
        () => context.running(),
      ),
    ),
};
