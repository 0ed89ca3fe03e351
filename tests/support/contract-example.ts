/**
 * The example event Sekoia's intake parser is built on (the event contract), key order included:
 * what the module's parser gives for `tests/fixtures/contract-example.xml`, and what the
 * simulator's judge expects of the same session.
 */
export const CONTRACT_EXAMPLE_JSON =
  '{"timestamp":"1764150000","event_type":"Chat Message",' +
  '"performed_by":{"type":"representative","name":"Alice Martin","gsnumber":"5","public_ip":"[2001:db8::5]:40001"},' +
  '"destination":{"type":"everyone","name":"Everyone","gsnumber":"0"},' +
  '"body":"Starting maintenance <CHG-42>",' +
  '"session_id":"5b1f0c2e9a7d4e3f8c6b2a1d0e9f8a7b",' +
  '"jump_group":{"name":"DBA & Ops","type":"shared"},' +
  '"primary_customer":{"name":"db-prod-02","gsnumber":"7","private_ip":"10.1.2.3","public_ip":"198.51.100.20:50112","hostname":"db-prod-02.example.net","os":"Ubuntu 24.04"},' +
  '"primary_rep":{"name":"Alice Martin","gsnumber":"5","public_ip":"[2001:db8::5]:40001"},' +
  '"file_transfer_count":"1","file_move_count":"0","file_delete_count":"0"}';
