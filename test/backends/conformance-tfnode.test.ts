import { conformanceSuite } from './conformance-suite.js';

// One tfjs backend per process: this file runs 'tfnode' alone (see conformance.test.ts).
await conformanceSuite('tfnode');
