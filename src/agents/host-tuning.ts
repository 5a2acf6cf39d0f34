// Host kernel settings that change how fast gVisor agents start. Only read here: the gateway
// never changes the host kernel; scripts/setup-sandbox.sh sets them (with an opt-out), and
// health/`doctor`/`GET /api/sandbox` say when they are off and what that costs.
import { readFileSync } from 'node:fs';

export const RCU_EXPEDITED_PATH = '/sys/kernel/rcu_expedited';

export interface HostTuning {
  /** Expedited RCU grace periods: true, false, or null when the kernel does not expose the knob. */
  rcuExpedited: boolean | null;
  /** What to do, when something slows agents down; null when nothing does. */
  advice: string | null;
}

export function readHostTuning(path = RCU_EXPEDITED_PATH): HostTuning {
  let rcuExpedited: boolean | null = null;
  try {
    rcuExpedited = readFileSync(path, 'utf8').trim() !== '0';
  } catch {
    /* no such knob on this kernel: nothing to advise */
  }
  return {
    rcuExpedited,
    advice:
      rcuExpedited === false
        ? `cold gVisor agent starts are ~70 ms slower while ${path} is 0 (every runsc process waits for RCU grace periods); run scripts/setup-sandbox.sh or \`echo 1 > ${path}\` as root`
        : null,
  };
}
