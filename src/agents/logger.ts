// The slice of a pino logger the agent code uses, so tests can pass a silent one.
export interface AgentLogger {
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
  debug(obj: object, msg?: string): void;
}

export const silentLogger: AgentLogger = { info: () => {}, warn: () => {}, error: () => {}, debug: () => {} };
