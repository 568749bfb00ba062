export { buildToolCatalog, CATALOG_LIMITS, toolInputSchema } from './buildToolCatalog.js';
export { assertCanCall, callTool, parseToolArguments, type CallToolOptions, type ToolCallTarget } from './callTool.js';
export { createToolsMcpServer, type ToolsMcpServer, type ToolsMcpServerOptions } from './mcp/createToolsMcpServer.js';
export { ToolCatalogCache, type ToolCatalogCacheOptions } from './ToolCatalogCache.js';
export { errorOutcome, fanoutOutcome, singleOutcome } from './toolOutcome.js';
export { toolName, TOOL_NAME_PATTERN } from './toolName.js';
export { listedTools, toolsAccess } from './toolsAccess.js';
export type * from './types.js';
