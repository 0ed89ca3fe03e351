/** Every feed of the module, in the order the credential check reports them. */
import type { CollectionConfig } from '../config';
import type { Feed, FeedState } from '../engine/feed';
import { sessionsFeed } from './sessions/feed';
import { syslogFeed } from './syslog/feed';
import { teamFeed } from './team/feed';
import { vaultFeed } from './vault/feed';

export const FEEDS: ReadonlyArray<Pick<Feed<CollectionConfig, FeedState>, 'title' | 'reports' | 'probe'>> = [
  sessionsFeed,
  vaultFeed,
  teamFeed,
  syslogFeed,
];
