import { describe, expect, it } from 'vitest';
import { batchCsv, batchReference, csvCell, outcomeOf, parseStatement, payoutIdOfReference } from '../../src/ledger/bank-batch-file.js';

const HEADER = ['收款人姓名', '收款账号', '开户行', '金额（元）', '用途', '业务参考号'] as const;

describe('the bank batch file', () => {
  it('writes payee, account, bank, amount in yuan with two decimals, purpose and reference, with a BOM and CRLF lines', () => {
    const csv = batchCsv(
      [{ payoutId: 42, payee: '王秀兰', accountNo: '6228480012345678', bankName: '中国农业银行登封支行', amountFen: 150050, purpose: '农户收益' }],
      HEADER,
    );
    expect(csv).toBe(
      '\uFEFF收款人姓名,收款账号,开户行,金额（元）,用途,业务参考号\r\n王秀兰,6228480012345678,中国农业银行登封支行,1500.50,农户收益,XYP00000042\r\n',
    );
  });

  it('defuses cells a spreadsheet would run as a formula (= + - @) and quotes commas and quotes', () => {
    expect(csvCell('=HYPERLINK("http://evil","点我")')).toBe('"\'=HYPERLINK(""http://evil"",""点我"")"');
    expect(csvCell('+86')).toBe("'+86");
    expect(csvCell('-1')).toBe("'-1");
    expect(csvCell('@SUM(A1)')).toBe("'@SUM(A1)");
    expect(csvCell('王秀兰')).toBe('王秀兰');
    const line = batchCsv([{ payoutId: 1, payee: '=1+1', accountNo: '62284800', bankName: '@bank', amountFen: 1, purpose: '-x' }], HEADER).split('\r\n')[1];
    expect(line).toBe("'=1+1,62284800,'@bank,0.01,'-x,XYP00000001");
  });

  it('reads a batch reference back to its payout, and nothing else', () => {
    expect(payoutIdOfReference(batchReference(7))).toBe(7);
    expect(payoutIdOfReference(' xyp00000007 ')).toBe(7);
    expect(payoutIdOfReference('XYP7')).toBeNull();
    expect(payoutIdOfReference('ICBC-2041')).toBeNull();
  });
});

describe('the returned statement', () => {
  it('finds reference, status and amount by their headers, in Chinese or English, quoted or not', () => {
    const lines = parseStatement('\uFEFF金额,状态,业务参考号\r\n"1,500.50",成功,XYP00000042\r\n0.01,失败,XYP00000043\r\n');
    expect(lines).toEqual([
      { line: 2, reference: 'XYP00000042', status: '成功', outcome: 'paid', amountFen: 150050, accountNo: null },
      { line: 3, reference: 'XYP00000043', status: '失败', outcome: 'failed', amountFen: 1, accountNo: null },
    ]);
    expect(parseStatement('reference,status,amount\nXYP00000001,success,12\n')[0]).toMatchObject({ outcome: 'paid', amountFen: 1200 });
  });

  it('takes reference, status, amount in that order without a header, and marks an unreadable amount', () => {
    expect(parseStatement('XYP00000001,成功,abc\n')).toEqual([
      { line: 1, reference: 'XYP00000001', status: '成功', outcome: 'paid', amountFen: null, accountNo: null },
    ]);
  });

  it('reads the account paid into when the statement has it, as digits', () => {
    const [line] = parseStatement('业务参考号,处理状态,金额（元）,收款账号\r\nXYP00000001,成功,12.00,"\'6228 4800 1234 5678"\r\n');
    expect(line).toMatchObject({ accountNo: '6228480012345678', outcome: 'paid' });
    expect(parseStatement('XYP00000001,成功,12.00,6228480012345678\n')[0]!.accountNo).toBe('6228480012345678');
  });

  it('tells a failed transfer from one still being processed, which is no outcome yet', () => {
    expect(outcomeOf('失败')).toBe('failed');
    expect(outcomeOf('失败：户名不符')).toBe('failed');
    expect(outcomeOf('Failed')).toBe('failed');
    expect(outcomeOf('退票')).toBe('failed');
    expect(outcomeOf('交易成功')).toBe('paid');
    expect(outcomeOf('处理中')).toBeNull();
    expect(outcomeOf('pending')).toBeNull();
    expect(outcomeOf('')).toBeNull();
  });
});
