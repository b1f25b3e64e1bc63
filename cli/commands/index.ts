// Every command group of `heal`, in the order `heal --help` lists them.
import type { RegisterCommands } from '../session.js';
import { register as approve } from './approve.js';
import { register as breakers } from './breakers.js';
import { register as control } from './control.js';
import { register as health } from './health.js';
import { register as history } from './history.js';
import { register as list } from './list.js';
import { register as patterns } from './patterns.js';
import { register as schedule } from './schedule.js';
import { register as show } from './show.js';
import { register as stats } from './stats.js';

export const COMMANDS: readonly RegisterCommands[] = [
  list,
  show,
  stats,
  health,
  patterns,
  breakers,
  control,
  approve,
  history,
  schedule,
];
