export * from './retry';
export * from './errors';
export { type LogLevel, type LogEntry, SecretMasker } from './logs';
export { type ModuleOptions, type ItemClass, Module, ACCOUNT_VALIDATOR_COMMAND } from './module';
export { type TriggerTimings, type TriggerOptions, DEFAULT_TIMINGS } from './timings';
export { Trigger } from './trigger';
export {
  type ConnectorConfiguration,
  type PushOptions,
  Connector,
  PreparedPush,
  EVENT_BYTES_MAX_SIZE,
  REQUEST_BYTES_MAX_SIZE,
} from './connector';
export { type CommonMetrics } from './metrics';
export { AccountValidator } from './account-validator';
export { JsonStateFile } from './state-file';
export { naiveUtcIso } from './time';
export { isLoopbackHost } from './http';
