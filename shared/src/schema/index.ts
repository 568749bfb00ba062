export { compileSchema, type Validate } from './SchemaValidator.js';
