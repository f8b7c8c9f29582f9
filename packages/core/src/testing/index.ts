export { BigramModel } from './bigram-model.ts';
export { FULL_PROOFS, proofProgress, proofScale } from './proofs.ts';
export { referenceLogSumExp, referenceTopK } from './rank-reference.ts';
export { SequentialBatchModel } from './sequential-batch-model.ts';
export { chiSquareSurvival, gammaQ, gTestHomogeneity, type HomogeneityTest } from './stats.ts';
