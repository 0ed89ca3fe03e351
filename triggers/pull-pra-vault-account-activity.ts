import type { CollectionConfig } from '../module/config';
import { FeedTrigger } from '../module/engine/feed-trigger';
import type { WindowState } from '../module/engine/window-state';
import { vaultFeed } from '../module/feeds/vault/feed';

/** `pull_pra_vault_account_activity`: every PRA Vault account activity to the intake, once. */
export class PullPraVaultAccountActivityTrigger extends FeedTrigger<CollectionConfig, WindowState> {
  protected readonly feed = vaultFeed;
}
