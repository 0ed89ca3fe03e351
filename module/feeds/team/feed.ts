/** The Team activity feed: what the representatives of each PRA team did, team by team. */
import { activityFeed } from '../activity';
import { parseTeamReport } from './parser';

export const teamFeed = activityFeed({
  title: 'PRA Team activity',
  report: 'Team',
  parse: parseTeamReport,
});
