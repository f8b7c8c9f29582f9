export { Vocabulary } from './vocabulary.ts';
