#!/usr/bin/env node
// Entry point of the rsn command: loads the TypeScript CLI through tsx's loader.
import { register } from 'tsx/esm/api';

register();
const { main, reportStrayErrors } = await import('../cli/main.ts');
reportStrayErrors();
process.exitCode = await main(process.argv);
