export { BigramModel } from './bigram-model.ts';
