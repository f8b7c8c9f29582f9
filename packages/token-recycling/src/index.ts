export { AdjacencyMatrix } from './matrix.ts';
export {
  type AcceptanceModel,
  chainPaths,
  compareBfs,
  DEFAULT_ACCEPTANCE_PRIOR,
  greedyPaths,
  PAPER_2_2_2,
  parseTemplate,
  type RankPath,
  readTemplateFile,
  TreeTemplate,
} from './template.ts';
export { type DuplicateRule, TokenRecyclingDrafter, type TokenRecyclingOptions } from './token-recycling.ts';
