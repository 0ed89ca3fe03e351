/** Every feed of the module, in the order the credential check reports them. */
import type { CollectionConfig } from '../config';
import type { Feed, FeedState } from '../engine/feed';
import { sessionsFeed } from './sessions/feed';

export const FEEDS: ReadonlyArray<Feed<CollectionConfig, FeedState>> = [sessionsFeed] as ReadonlyArray<
  Feed<CollectionConfig, FeedState>
>;
