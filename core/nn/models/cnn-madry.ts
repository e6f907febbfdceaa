import * as op from '../../autodiff/ops.js';
import { conv, dense, flatten } from '../layers.js';
import { bias, convKernel, denseKernel, type ModelSpec } from './spec.js';

/**
 * The MNIST challenge network of Madry et al. 2018: conv 32@5x5 'same', 2x2 max-pool, conv 64@5x5 'same', 2x2
 * max-pool, dense 1024, 10, ReLU, with biases. 3,274,634 parameters, about 50 times dense-300-100's arithmetic
 * per image: a network sized for a GPU.
 */
export const CNN_MADRY: ModelSpec = {
  name: 'cnn-madry',
  description: 'Madry et al.: conv 32@5x5, pool, conv 64@5x5, pool, dense 1024-10, ReLU, biases',
  inputShape: [28, 28, 1],
  classes: 10,
  parameters: [
    convKernel('conv_1', 5, 5, 1, 32), bias('conv_1_bias', 32),
    convKernel('conv_2', 5, 5, 32, 64), bias('conv_2_bias', 64),
    denseKernel('dense_1', 7 * 7 * 64, 1024), bias('dense_1_bias', 1024),
    denseKernel('output', 1024, 10, 'output'), bias('output_bias', 10),
  ],
  logits: ([c1, b1, c2, b2, d1, db1, out, outB], x) => {
    const images = op.reshape(x, [x.shape[0]!, 28, 28, 1]);
    const h1 = op.maxPool(op.relu(conv(images, c1!, b1!, 'same')), 2);
    const h2 = op.maxPool(op.relu(conv(h1, c2!, b2!, 'same')), 2);
    const h3 = op.relu(dense(flatten(h2), d1!, db1!));
    return dense(h3, out!, outB!);
  },
  stackable: false,
};
