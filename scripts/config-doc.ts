// Writes docs/configuration.md from the configuration's defaults and descriptions: `npm run docs:config`.
import { writeFileSync } from 'node:fs';
import { configurationReference } from '../src/config/reference.js';

writeFileSync('docs/configuration.md', configurationReference());
console.log('docs/configuration.md written');
