/** The current time in epoch milliseconds. Injected so tests can move time (order expiry, sessions). */
export type Clock = () => number;
export const systemClock: Clock = () => Date.now();
