import path from 'node:path';
import { Module } from '@sekoia/automation-sdk-shim';
import { PraCredentialCheck } from './module/credential-check';
import { FEEDS } from './module/feeds/registry';

// The manifests sit one level above the compiled dist/, whatever the working directory.
const praModule = new Module({ rootDir: path.resolve(__dirname, '..') });
// Each trigger also answers to the Python module's name, so that a platform that still starts the
// image with it keeps working.
for (const { triggerClass, trigger, pythonName } of FEEDS)
  praModule.register(triggerClass, trigger, [pythonName]);
praModule.registerAccountValidator(PraCredentialCheck);

praModule.run().then(
  (exitCode) => {
    process.exitCode = exitCode;
  },
  (error: unknown) => {
    console.error(`beyondtrust-pra: ${error instanceof Error ? error.message : String(error)}`);
    process.exitCode = 1;
  },
);
