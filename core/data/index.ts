/** Data: IDX files, their sources and checksums, the validation split and minibatches (docs/PROTOCOL.md, Data). */
export { BatchSampler, gather } from './batches.js';
export { CHECKSUMS, md5, verifyChecksum, type DatasetChecksums } from './checksums.js';
export {
  IMAGE_COLS,
  IMAGE_ROWS,
  IMAGE_SIZE,
  NUM_CLASSES,
  loadDataset,
  sliceSplit,
  splitValidation,
  type Dataset,
  type LoadOptions,
  type Split,
} from './datasets.js';
export { downloadIdxFile, type DownloadOptions, type DownloadProgress } from './download.js';
export {
  CANONICAL_NAMES,
  DATASET_NAMES,
  FILE_KEYS,
  checkDatasetName,
  findDatasetFiles,
  type DatasetFiles,
  type DatasetName,
  type FileKey,
} from './files.js';
export {
  decompressIfGzip,
  isGzip,
  parseIdxImages,
  parseIdxLabels,
  readIdxBytes,
  readIdxImages,
  readIdxLabels,
  type IdxImages,
  type IdxLabels,
} from './idx.js';
export {
  DEBIAN_FASHION_DIR,
  MIRRORS,
  cacheRoot,
  installHint,
  locateDataset,
  type LocatedDataset,
  type SourceKind,
  type SourceOptions,
} from './sources.js';
