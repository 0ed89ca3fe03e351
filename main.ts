import path from 'node:path';
import { Module } from '@sekoia/automation-sdk-shim';
import { PraCredentialCheck } from './module/credential-check';
import { PullPraSessionsTrigger } from './triggers/pull-pra-sessions';

// The manifests sit one level above the compiled dist/, whatever the working directory.
const praModule = new Module({ rootDir: path.resolve(__dirname, '..') });
praModule.register(PullPraSessionsTrigger, 'pull_pra_sessions');
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
