// Says, at the top of every test run, which Node.js runs the suite (CI's log must show that the
// set-up's Node 24 ran it, not the machine's end-of-life Node 20).
import { describeNodeRuntime } from '../../src/core/node-runtime.js';

export default function setup(): void {
  const node = describeNodeRuntime();
  console.log(`SecureSphere tests on ${node.detail}${node.ok ? '' : ' (WARNING: not a supported runtime)'}`);
}
