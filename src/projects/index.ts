// The projects domain's front door: what other domains may use of it.
export { splitRuleAt, type SplitRule } from './project-management-queries.js';
export { fundingSourceIn, KNOWN_FUNDING_SOURCES_EN } from './funding-sources.js';
