/**
 * A capability id: dot-separated lowercase segments (`fs.read`, `acme.db.query`). The plugin
 * contract (validatePluginManifest), the daemon's check of what a node announces and the tool
 * names of the daemon's tools layer (no `_`, so `.` -> `_` names stay unambiguous) all rely on it.
 */
export const CAPABILITY_ID_PATTERN = /^[a-z][a-z0-9-]*(\.[a-z][a-z0-9-]*)+$/;
