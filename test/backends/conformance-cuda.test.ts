import { conformanceSuite } from './conformance-suite.js';

// One tfjs backend per process: this file runs 'cuda' alone (see conformance.test.ts).
await conformanceSuite('cuda');
