/** The AccessSession parser keeps what every streaming report parser promises (report-guarantees.ts). */
import {
  createAccessSessionParser,
  parseAccessSessionReport,
} from '../../../../../module/feeds/sessions/report-parser';
import { fixture } from '../../../../support/parsing';
import { describeReportGuarantees } from '../../report-guarantees';

describe('the AccessSession report parser', () => {
  describeReportGuarantees({
    parse: parseAccessSessionReport,
    createParser: createAccessSessionParser,
    root: 'session_list',
    report: fixture('all-event-types.xml'),
    // Its events come out at the end of their session, which may still carry fields they need.
    eventEnd: '</session>',
    noData: 'No Support report information matching your chosen criteria is available.',
    asciiValue: 'Jane Doe',
    otherReport: '<vault_account_activity_list/>',
  });
});
