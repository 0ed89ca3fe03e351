/** The AccessSessionListing report: the lsids of the sessions in a window. */
import { parseError } from '../../pra/errors';
import { streamXml } from '../../xml/reader';
import { PraReportSink } from '../../xml/report-sink';

/**
 * Streams an AccessSessionListing report into the list of lsids (session_summary/@lsid), in
 * order. No-data <error> or an empty <session_summary_list/> → []. Other <error> → an 'api' PraError.
 */
export async function parseSessionListing(input: AsyncIterable<Buffer | string>): Promise<string[]> {
  const lsids: string[] = [];
  for await (const lsid of streamXml(input, new ListingSink())) lsids.push(lsid);
  return lsids;
}

class ListingSink extends PraReportSink<string> {
  constructor() {
    super('session_summary_list');
  }

  protected open(name: string, attributes: Readonly<Record<string, string>>, depth: number): void {
    if (depth !== 2 || name !== 'session_summary') return;
    const lsid = attributes.lsid;
    if (!lsid) throw parseError('session_summary without lsid');
    this.out.push(lsid);
  }

  protected close(): void {}
  protected text(): void {}
}
