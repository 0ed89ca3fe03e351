/** The Vault account activity feed: credential check-outs, uses, rotations and account changes. */
import { activityFeed } from '../activity';
import { parseVaultReport } from './parser';

export const vaultFeed = activityFeed({
  title: 'PRA Vault account activity',
  report: 'VaultAccountActivity',
  parse: parseVaultReport,
});
