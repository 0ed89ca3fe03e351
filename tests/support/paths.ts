import path from 'node:path';

/** The repository's root, whatever folder a test sits in. */
export const REPO_ROOT = path.resolve(__dirname, '..', '..');
/** Reports saved from PRA and written by hand, shared by the parser tests. */
export const FIXTURES = path.join(REPO_ROOT, 'tests', 'fixtures');
