import { PraError } from '../../../../../module/pra/errors';
import { parseSessionListing } from '../../../../../module/feeds/sessions/listing';
import { chunked, failure } from '../../../../support/parsing';

const listing = (xml: string): Promise<string[]> => parseSessionListing(chunked(Buffer.from(xml), () => 7));

describe('parseSessionListing', () => {
  it('returns the lsids in document order, whatever the namespace or prefix', async () => {
    const body =
      '<session_summary lsid="e9e99aeb9ad54fb381634498502c5a1b" has_recording="0"  />' +
      '<session_summary lsid="oTJW7dXXxYIcWQcQ" has_recording="1" external_key="K-1"></session_summary>';
    const expected = ['e9e99aeb9ad54fb381634498502c5a1b', 'oTJW7dXXxYIcWQcQ'];
    expect(
      await listing(
        `<session_summary_list xmlns="http://www.beyondtrust.com/sra/namespaces/API/reporting">${body}</session_summary_list>`,
      ),
    ).toStrictEqual(expected);
    expect(await listing(`<session_summary_list>${body}</session_summary_list>`)).toStrictEqual(expected);
    expect(
      await listing(
        `<x:session_summary_list xmlns:x="http://www.bomgar.com/namespaces/API/reporting">${body.replace(/<(\/?)s/g, '<$1x:s')}</x:session_summary_list>`,
      ),
    ).toStrictEqual(expected);
  });

  it('returns [] for an empty list and for the no-data error', async () => {
    expect(
      await listing('<session_summary_list xmlns="https://www.beyondtrust.com/namespaces/API/reporting" />'),
    ).toStrictEqual([]);
    expect(
      await listing(
        '<error >No Support report information matching your chosen criteria is available.</error>',
      ),
    ).toStrictEqual([]);
    expect(
      await listing(
        '<session_summary_list><error>No Support report information matching your chosen criteria is available.</error></session_summary_list>',
      ),
    ).toStrictEqual([]);
  });

  it('fails with an api error for any other error', async () => {
    const err = await failure(listing('<error>Invalid report type.</error>'));
    expect(err).toMatchObject({ kind: 'api' });
    expect((err as PraError).message).toBe('PRA reporting API answered with an error: Invalid report type.');
  });

  it('fails with a parse error for malformed XML, a wrong root, or a summary without lsid', async () => {
    expect(await failure(listing('<session_summary_list><session_summary lsid="a">'))).toMatchObject({
      kind: 'parse',
    });
    expect(await failure(listing('<session_list/>'))).toMatchObject({ kind: 'parse' });
    expect(
      await failure(listing('<session_summary_list><session_summary /></session_summary_list>')),
    ).toMatchObject({ kind: 'parse' });
  });
});
