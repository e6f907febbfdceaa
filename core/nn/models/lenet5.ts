import * as op from '../../autodiff/ops.js';
import { conv, dense, flatten } from '../layers.js';
import { bias, convKernel, denseKernel, type ModelSpec } from './spec.js';

/**
 * LeNet-5 as the lottery-ticket literature trains it on MNIST: conv 6@5x5 'same', 2x2 max-pool, conv 16@5x5
 * 'valid', 2x2 max-pool, dense 120, 84, 10, ReLU, with biases. 61,706 parameters.
 */
export const LENET5: ModelSpec = {
  name: 'lenet5',
  description: 'LeNet-5: conv 6@5x5 same, pool, conv 16@5x5 valid, pool, dense 120-84-10, ReLU, biases',
  inputShape: [28, 28, 1],
  classes: 10,
  parameters: [
    convKernel('conv_1', 5, 5, 1, 6), bias('conv_1_bias', 6),
    convKernel('conv_2', 5, 5, 6, 16), bias('conv_2_bias', 16),
    denseKernel('dense_1', 400, 120), bias('dense_1_bias', 120),
    denseKernel('dense_2', 120, 84), bias('dense_2_bias', 84),
    denseKernel('output', 84, 10, 'output'), bias('output_bias', 10),
  ],
  logits: ([c1, b1, c2, b2, d1, db1, d2, db2, out, outB], x) => {
    const images = op.reshape(x, [x.shape[0]!, 28, 28, 1]);
    const h1 = op.maxPool(op.relu(conv(images, c1!, b1!, 'same')), 2);
    const h2 = op.maxPool(op.relu(conv(h1, c2!, b2!, 'valid')), 2);
    const h3 = op.relu(dense(flatten(h2), d1!, db1!));
    const h4 = op.relu(dense(h3, d2!, db2!));
    return dense(h4, out!, outB!);
  },
  stackable: false,
};
