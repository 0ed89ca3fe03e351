/** The session feed: every event of PRA access sessions, running ones included, once. */
import { collectionConfig, type ArgumentReader } from '../../config';
import type { Feed } from '../../engine/feed';
import type { PraCredentials } from '../../pra/client';
import { createParserThread } from '../parser-thread';
import { SessionCycle } from './cycle';
import { PraSessionSource, probeSessions } from './source';
import { SessionsState } from './state';

/** The arguments of triggers/pull_pra_sessions.json, typed. */
export function configureSessions(credentials: PraCredentials, args: ArgumentReader) {
  return {
    ...collectionConfig(credentials, args),
    liveSessions: args.boolean('live_sessions'),
    sessionsPerRequest: args.number('sessions_per_request'),
    maxSessionFailures: args.number('max_session_failures'),
  };
}

export type SessionsConfig = ReturnType<typeof configureSessions>;

export const sessionsFeed: Feed<SessionsConfig, SessionsState> = {
  title: 'PRA session events',
  reports: ['AccessSessionListing', 'AccessSession'],
  configure: configureSessions,
  openState: (saved, now, config, file) =>
    SessionsState.open(saved, now, config.firstRunLookbackSeconds, file),
  probe: probeSessions,
  start: (context) =>
    new SessionCycle(
      context,
      context.config,
      context.state,
      new PraSessionSource(context.client, createParserThread()),
    ),
};
