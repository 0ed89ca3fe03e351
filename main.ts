import path from 'node:path';
import { Module } from '@sekoia/automation-sdk-shim';
import { PraCredentialCheck } from './module/credential-check';
import { PullPraSessionsTrigger } from './triggers/pull-pra-sessions';
import { PullPraSyslogTrigger } from './triggers/pull-pra-syslog';
import { PullPraTeamTrigger } from './triggers/pull-pra-team';
import { PullPraVaultAccountActivityTrigger } from './triggers/pull-pra-vault-account-activity';

// The manifests sit one level above the compiled dist/, whatever the working directory.
const praModule = new Module({ rootDir: path.resolve(__dirname, '..') });
// The second name of each trigger is the Python module's, so that a platform that still starts the
// image with it keeps working.
praModule.register(PullPraSessionsTrigger, 'pull_pra_sessions', ['connector_beyondtrust_pra']);
praModule.register(PullPraVaultAccountActivityTrigger, 'pull_pra_vault_account_activity', [
  'connector_beyondtrust_pra_vault_account_activity',
]);
praModule.register(PullPraTeamTrigger, 'pull_pra_team', ['connector_beyondtrust_pra_team']);
praModule.register(PullPraSyslogTrigger, 'pull_pra_syslog', ['connector_beyondtrust_pra_syslog']);
praModule.registerAccountValidator(PraCredentialCheck);

praModule.run().then(
  (exitCode) => {
    process.exitCode = exitCode;
  },
  (error: unknown) => {
    console.error(`beyondtrust-pra-sessions: ${error instanceof Error ? error.message : String(error)}`);
    process.exitCode = 1;
  },
);
