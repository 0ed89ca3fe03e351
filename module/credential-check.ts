import { AccountValidator } from '@sekoia/automation-sdk-shim';
import { praAccessConfig } from './config';
import { PraClient } from './pra/client';

/**
 * `validate_module_configuration`: gets a token, then makes one listing call, so that the Sekoia UI
 * can say which of URL, TLS, credentials or reporting permission is wrong before collection starts.
 * The client's errors already name the cause and what to check.
 */
export class PraCredentialCheck extends AccountValidator {
  async validate(): Promise<boolean> {
    try {
      const client = new PraClient({
        ...praAccessConfig(this.module.configuration),
        timeoutMs: 30_000,
        maxAttempts: 2,
      });
      await client.checkAccess();
      this.log('PRA credentials checked: a token was issued and the session listing answered');
      return true;
    } catch (error) {
      this.error(error instanceof Error ? error.message : String(error));
      return false;
    }
  }
}
