import type { CollectionConfig } from '../module/config';
import { FeedTrigger } from '../module/engine/feed-trigger';
import type { WindowState } from '../module/engine/window-state';
import { teamFeed } from '../module/feeds/team/feed';

/** `pull_pra_team`: every PRA Team activity event to the intake, once. */
export class PullPraTeamTrigger extends FeedTrigger<CollectionConfig, WindowState> {
  protected readonly feed = teamFeed;
}
