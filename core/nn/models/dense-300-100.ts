import { mlp } from './mlp.js';

/** The paper's network (docs/PROTOCOL.md, Model): 784 -> 300 (ReLU) -> 100 (ReLU) -> 10, no biases. */
export const DENSE_300_100 = mlp('dense-300-100', [784, 300, 100, 10], "the paper's 784-300-100-10 perceptron, ReLU, no biases");
