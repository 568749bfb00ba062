export { PalyraCommand, runProgram } from './PalyraCommand.js';
