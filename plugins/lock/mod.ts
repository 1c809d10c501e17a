/**
 * The plugin lock file (pins and grants). See docs/plugins.md.
 * @module
 */
export {
  findPluginLock,
  isFile,
  PLUGIN_LOCK_ENV,
  PLUGIN_LOCK_FILE,
  type PluginLock,
  type PluginPin,
  PluginPinSchema,
  readPluginLock,
  renderGrantDirs,
  type ResolvedPin,
  resolvePins,
  upsertPin,
  writePluginLock,
} from "./plugin_lock.ts";
