// Nova's error envelope: {"<fault>": {"code": N, "message": M}}, the fault named after the status.

export class NovaError extends Error {
  readonly status: number;
  readonly fault: string;
  constructor(status: number, fault: string, message: string) {
    super(message);
    this.status = status;
    this.fault = fault;
  }

  get body(): unknown {
    return { [this.fault]: { code: this.status, message: this.message } };
  }
}

export const badRequest = (message: string): NovaError => new NovaError(400, 'badRequest', message);
export const forbidden = (message: string): NovaError => new NovaError(403, 'forbidden', message);
export const itemNotFound = (message: string): NovaError => new NovaError(404, 'itemNotFound', message);
export const conflict = (message: string): NovaError => new NovaError(409, 'conflictingRequest', message);

export const instanceNotFound = (id: string): NovaError => itemNotFound(`Instance ${id} could not be found.`);
export const flavorNotFound = (id: string): NovaError => itemNotFound(`Flavor ${id} could not be found.`);
export const policyDenied = (rule: string): NovaError => forbidden(`Policy doesn't allow ${rule} to be performed.`);

/** check_instance_state's refusal: the vm_state is checked first, then the task_state. */
export const invalidState = (action: string, id: string, attr: 'vm_state' | 'task_state', state: string): NovaError =>
  conflict(`Cannot '${action}' instance ${id} while it is in ${attr} ${state}`);

/** An error Nova does not handle: its API answers 500 with the class of the exception it caught. */
export const unexpected = (exceptionClass: string): NovaError =>
  new NovaError(500, 'computeFault', `Unexpected API Error. Please report this at http://bugs.launchpad.net/nova/ and attach the Nova API log if possible.\n<class '${exceptionClass}'>`);
