export { BigramModel } from './bigram-model.ts';
export { chiSquareSurvival, gammaQ, gTestHomogeneity, type HomogeneityTest } from './stats.ts';
