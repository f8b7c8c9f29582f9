export { openStories260K } from './open-stories.ts';
