/** Every path the tarball must hold, relative to the package root, for the checkout at `root`. */
export function requiredInPack(root: string): string[];
/** The paths of requiredInPack(root) that `files` lacks. */
export function missingFromPack(files: readonly string[], root: string): string[];
/** The paths of `files` a user never needs. */
export function unwantedInPack(files: readonly string[]): string[];
