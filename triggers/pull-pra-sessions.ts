import { FeedTrigger } from '../module/engine/feed-trigger';
import type { SessionsConfig } from '../module/feeds/sessions/config';
import { sessionsFeed } from '../module/feeds/sessions/feed';
import type { SessionsState } from '../module/feeds/sessions/state';

/** `pull_pra_sessions`: every event of PRA access sessions, running ones included, to the intake. */
export class PullPraSessionsTrigger extends FeedTrigger<SessionsConfig, SessionsState> {
  protected readonly feed = sessionsFeed;
}
