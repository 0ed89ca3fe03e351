/** The session feed's configuration: the arguments of triggers/pull_pra_sessions.json, typed. */
import { collectionConfig, type ArgumentReader } from '../../config';
import type { PraCredentials } from '../../pra/client';

export function configureSessions(credentials: PraCredentials, args: ArgumentReader) {
  return {
    ...collectionConfig(credentials, args),
    liveSessions: args.boolean('live_sessions'),
    sessionsPerRequest: args.number('sessions_per_request'),
    maxSessionFailures: args.number('max_session_failures'),
    runningSessionMaxDelaySeconds: args.number('running_session_max_delay_seconds'),
  };
}

export type SessionsConfig = ReturnType<typeof configureSessions>;
