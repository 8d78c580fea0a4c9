// Types of scripts/ensure-build.mjs (plain JavaScript, because it runs before anything is compiled).
export declare const BUILD_INPUTS: string[];
export declare const BUILD_STAMP: string;
export declare function newestInputMtime(root: string, inputs?: readonly string[]): number;
export declare function buildIsCurrent(root: string, inputs?: readonly string[]): boolean;
export declare function runTsc(root: string): boolean;
export declare function ensureBuild(
  root: string,
  options?: { force?: boolean; compile?: (root: string) => boolean; now?: () => number; log?: (message: string) => void },
): 'current' | 'built' | 'no-sources';
