/** Messages of a household's bank account (private; for bank-transfer payouts, 批量代发). */
export const zh = {
  'household.bank.accountName': '收款人户名（可选）',
  'household.bank.hint': '银行卡上的户名；不填则按真实姓名付款。银行信息只有本村第一书记和协调员能看到。',
  'household.bank.accountNo': '银行卡号 / 账号（可选）',
  'household.bank.bankName': '开户银行（可选）',
  'validation.bank_account_no': '银行卡号应为 8 到 30 位数字。',
};

export const en: Record<keyof typeof zh, string> = {
  'household.bank.accountName': 'Account holder (optional)',
  'household.bank.hint':
    'The name on the bank card; left empty, the real name is paid. Bank details are seen only by the village’s first secretaries and coordinators.',
  'household.bank.accountNo': 'Bank card or account number (optional)',
  'household.bank.bankName': 'Bank and branch (optional)',
  'validation.bank_account_no': 'The bank card number has 8 to 30 digits.',
};
