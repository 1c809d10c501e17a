/**
 * Configuration: the env snapshot, env files, settings, profiles, masking, modes, secrets and resources
 * (docs/configuration.md).
 * @module
 */
export { buildSnapshot, parseEnvFilesJson, withSnapshotChanges } from "./snapshot.ts";
export type { BuildSnapshotOptions, Snapshot } from "./snapshot.ts";
export { loadEnvFile, loadEnvFiles, manifestEnvFileSpec, parseDotenv, toEnvFileSpec } from "./env_files.ts";
export type { EnvFileSpec, LoadEnvFilesOptions } from "./env_files.ts";
export { PROFILES_CONFLICT_MSG, readProfilesSource } from "./profiles_source.ts";
export type { ProfilesSource, ReadProfilesSourceOptions } from "./profiles_source.ts";
export { DEFAULT_ZIP_DRIVERS, MODE, refusedArchiveDriver, resolveMode } from "./modes.ts";
export type { Mode } from "./modes.ts";
export { isMaskableSecret, isSecretKey, MASK, Masker } from "./masking.ts";
export { loadSettings, parseBool, SETTING_NAMES, settingEnvVar } from "./settings.ts";
export type {
  LoadSettingsOptions,
  LogFormat,
  LogLevel,
  SettingName,
  Settings,
  SettingValues,
} from "./settings.ts";
export { ENGINE_KEYS, finalizeSnapshot } from "./finalize_snapshot.ts";
export type { FinalizeSnapshotOptions } from "./finalize_snapshot.ts";
export {
  applyDecode,
  collectDecodeRequests,
  collectDecodeRequestsLenient,
  findConcatenatedTargets,
  getAtPath,
  NO_PROVIDER_WARNING,
  prefixProvider,
} from "./secrets.ts";
export type { ApplyDecodeOptions, DecodeRequest, DecodeSection, SecretsProvider } from "./secrets.ts";
export { buildResources, deepMerge, mergeProfileIntoResource, stateUrlFromProfile } from "./resources.ts";
export type {
  BuildResourcesOptions,
  BuiltResource,
  ProfileLike,
  ResourceLike,
  StateProfileOptions,
} from "./resources.ts";
