/**
 * Every feed of the module, one entry each: the trigger's name (its manifest's `docker_parameters`),
 * the Python module's name for the same connector, and the feed itself (its reports, configuration,
 * state and cycle). `main.ts` and the credential check are derived from it; adding a feed is its
 * folder plus one entry here, and its trigger manifest.
 */
import type { ItemClass } from '@sekoia/automation-sdk-shim';
import type { CollectionConfig } from '../config';
import type { Feed, FeedState } from '../engine/feed';
import { FeedTrigger } from '../engine/feed-trigger';
import { sessionsFeed } from './sessions/feed';
import { syslogFeed } from './syslog/feed';
import { teamFeed } from './team/feed';
import { vaultFeed } from './vault/feed';

export interface FeedEntry {
  /** `docker_parameters` of triggers/<trigger>.json, the name the platform starts the image with. */
  readonly trigger: string;
  /** What the Python module's image was started with for the same connector: still accepted. */
  readonly pythonName: string;
  readonly feed: Pick<Feed<CollectionConfig, FeedState>, 'title' | 'reports' | 'probe'>;
  /** The shim's item that runs the feed on the engine. */
  readonly triggerClass: ItemClass;
}

function entry<C extends CollectionConfig, S extends FeedState>(
  trigger: string,
  pythonName: string,
  feed: Feed<C, S>,
): FeedEntry {
  class Trigger extends FeedTrigger<C, S> {
    protected readonly feed = feed;
  }
  return { trigger, pythonName, feed, triggerClass: Trigger };
}

/** In the order the credential check reports them. */
export const FEEDS: readonly FeedEntry[] = [
  entry('pull_pra_sessions', 'connector_beyondtrust_pra', sessionsFeed),
  entry('pull_pra_vault_account_activity', 'connector_beyondtrust_pra_vault_account_activity', vaultFeed),
  entry('pull_pra_team', 'connector_beyondtrust_pra_team', teamFeed),
  entry('pull_pra_syslog', 'connector_beyondtrust_pra_syslog', syslogFeed),
];
