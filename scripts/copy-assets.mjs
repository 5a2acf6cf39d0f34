// tsc compiles .ts only; the files that run inside agents (.cjs and .py scripts, the helper's C source, the image's
// Dockerfile) are copied next to their compiled modules so dist/ is self-contained.
import { copyFileSync, mkdirSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

const ROOTS = ['src', 'skills', 'channels'];
const ASSET = /(\.cjs|\.py|\.c|^Dockerfile|^vocab\.txt)$/;
let copied = 0;
function walk(dir) {
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) walk(path);
    else if (ASSET.test(name)) {
      mkdirSync(join('dist', dir), { recursive: true });
      copyFileSync(path, join('dist', path));
      copied += 1;
    }
  }
}
for (const root of ROOTS) walk(root);
console.log(`copied ${copied} asset files into dist/`);
