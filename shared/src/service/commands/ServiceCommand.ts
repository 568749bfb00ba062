import { Option } from 'clipanion';
import { PalyraCommand } from '../../cli/PalyraCommand.js';
import { planService, type PlanOptions } from '../planService.js';
import type { ServicePlan, ServiceProgram } from '../types.js';

/**
 * Base of `service install|status|uninstall` of both programs: the scope flags and the
 * program's description. Each program subclasses the three commands with its ServiceProgram.
 */
export abstract class ServiceCommand extends PalyraCommand {
  user = Option.Boolean('--user', false, { description: "The user's own systemd manager (default when not root)" });
  system = Option.Boolean('--system', false, { description: "The host's systemd manager, a system account (default for root)" });
  json = Option.Boolean('--json', false, { description: 'Print one JSON object' });

  protected abstract readonly program: ServiceProgram;

  protected plan(extra: Omit<PlanOptions, 'user' | 'system'> = {}): ServicePlan {
    return planService(this.program, { user: this.user, system: this.system, ...extra });
  }

  /** An AbortSignal that SIGINT/SIGTERM abort, for the host commands a step runs. */
  protected async withSignal<T>(run: (signal: AbortSignal) => Promise<T>): Promise<T> {
    const controller = new AbortController();
    const abort = (): void => controller.abort();
    process.once('SIGINT', abort);
    process.once('SIGTERM', abort);
    try {
      return await run(controller.signal);
    } finally {
      process.off('SIGINT', abort);
      process.off('SIGTERM', abort);
    }
  }
}
