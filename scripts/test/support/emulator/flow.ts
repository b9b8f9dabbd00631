/** What a flow needs to run against an emulated world: its clients, a fast clock, a reporter. */
import { Reporter } from '../../../lib/cli.ts';
import type { World } from './world.ts';
import { emulatorClock } from './emulator.ts';
import { emulatorRunner, type EmulatorRunner } from './cdk.ts';

export function flowDeps(world: World) {
  const out: string[] = [];
  const reporter = new Reporter({ json: false, stdout: { write: (t: string) => out.push(t) }, stderr: { write: (t: string) => out.push(t) } });
  const runner: EmulatorRunner = emulatorRunner(world);
  const deps = {
    ...world.emulator.clients,
    runner,
    clock: emulatorClock(),
    reporter,
    get assemblyDir() {
      return runner.assemblyDir;
    },
  };
  return { deps, runner, out, text: () => out.join('') };
}
