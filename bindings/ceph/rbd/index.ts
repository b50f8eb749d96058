export { Rbd, type CloneOptions, type ImageSpec, type TrashEntry } from './rbd.js';
export {
  Image,
  type DiffExtent,
  type ImageInfo,
  type ImageWatcher,
  type LinkedImage,
  type ParentInfo,
  type SnapshotInfo,
} from './image.js';
export { RBD_FEATURES, featureBits, featureNames, type RbdFeature } from './features.js';
export type { ImageOptions } from './options.js';
