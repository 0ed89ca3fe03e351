/** The session feed: every event of PRA access sessions, running ones included, once. */
import type { Feed } from '../../engine/feed';
import { createParserThread } from '../parser-thread';
import { configureSessions, type SessionsConfig } from './config';
import { SessionCycle } from './cycle';
import { PraSessionSource, probeSessions } from './source';
import { SessionFeedState } from './state';

export const sessionsFeed: Feed<SessionsConfig, SessionFeedState> = {
  title: 'PRA session events',
  reports: ['AccessSessionListing', 'AccessSession'],
  configure: configureSessions,
  openState: (saved, now, config, file) =>
    SessionFeedState.open(saved, now, config.firstRunLookbackSeconds, file),
  probe: probeSessions,
  start: (context) =>
    new SessionCycle(
      context,
      context.config,
      context.state,
      new PraSessionSource(context.client, createParserThread()),
    ),
};
