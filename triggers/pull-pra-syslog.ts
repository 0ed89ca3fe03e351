import type { CollectionConfig } from '../module/config';
import { FeedTrigger } from '../module/engine/feed-trigger';
import type { WindowState } from '../module/engine/window-state';
import { syslogFeed } from '../module/feeds/syslog/feed';

/** `pull_pra_syslog`: every audit record of PRA's syslog archive to the intake, once. */
export class PullPraSyslogTrigger extends FeedTrigger<CollectionConfig, WindowState> {
  protected readonly feed = syslogFeed;
}
