export { resolveStateDir, type ProgramName } from './stateDir.js';
export { parseDuration } from './duration.js';
export { parseHostPort, formatHostPort, type HostPort } from './address.js';
export {
  describeSettings,
  parsers,
  resolveSettings,
  type ResolvedSetting,
  type ResolvedSettings,
  type SettingSource,
  type SettingSpec,
  type SettingsSpec,
} from './settings.js';
export { loadConfigFile, type LoadConfigFileOptions, type LoadedConfigFile } from './loadConfigFile.js';
export { configSearchPlaces, GLOBAL_CONFIG_SEARCH_PLACES } from './configSearchPlaces.js';
