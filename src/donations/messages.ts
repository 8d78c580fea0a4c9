/**
 * Messages of donation receipts (捐赠票据) and of telling buyers that a purchase is not a
 * donation. One whole sentence per key.
 */
export const zh = {
  'donation.title': '捐赠票据',
  'donation.pdf.number': '票据编号：{number}',
  'donation.pdf.thanks':
    '兹收到 {donor} 捐赠人民币 {amount}，全部用于公益项目“{project}”。本票据由系统在捐款到账时自动开具，凭编号可向本会核验。感谢您的爱心！',
  'donation.col.number': '票据编号',
  'donation.col.date': '捐赠日期',
  'donation.col.donor': '捐赠人',
  'donation.col.amount': '金额（元）',
  'donation.col.project': '受赠项目',
  'donation.col.order': '订单号',
  'donation.col.status': '订单状态',
  'donation.list.title': '捐赠票据',
  'donation.nav': '捐赠票据',
  'donation.list.from': '开始日期',
  'donation.list.to': '结束日期',
  'donation.list.show': '查看',
  'donation.list.download': '下载本期捐赠票据（CSV）',
  'donation.list.none': '{from} 至 {to} 没有开具捐赠票据。',
  'donation.list.pdf': 'PDF',
  'donation.order.heading': '捐赠票据',
  'donation.order.intro': '您的捐赠已到账，已开具捐赠票据 {number}（{amount}，受赠项目：{project}，{date}）。',
  'donation.order.download': '下载捐赠票据（PDF）',
  'donation.notDonation': '购买商品不是捐赠，不开具捐赠票据；货款按规则分给农户和项目。如需捐赠票据，请认领微心愿。',
  'errors.donation_receipt_not_found': '找不到这张捐赠票据，或您无权查看。',
  'audit.action.donation_receipt.export': '导出了捐赠票据清单（含捐赠人姓名）',
  'audit.entity.donation_receipts': '捐赠票据 {id}',
  'errors.period_invalid': '期间有误：请按 2025-01-31 的格式填写开始和结束日期，且开始不晚于结束。',
};

export const en: Record<keyof typeof zh, string> = {
  'donation.title': 'Donation receipt',
  'donation.pdf.number': 'Receipt number: {number}',
  'donation.pdf.thanks':
    'Received from {donor} a donation of {amount}, all of it for the charitable project “{project}”. This receipt was issued automatically when the donation arrived; its number can be verified with us. Thank you for your kindness!',
  'donation.col.number': 'Receipt number',
  'donation.col.date': 'Date of donation',
  'donation.col.donor': 'Donor',
  'donation.col.amount': 'Amount (yuan)',
  'donation.col.project': 'Project',
  'donation.col.order': 'Order number',
  'donation.col.status': 'Order status',
  'donation.list.title': 'Donation receipts',
  'donation.nav': 'Donation receipts',
  'donation.list.from': 'From',
  'donation.list.to': 'To',
  'donation.list.show': 'Show',
  'donation.list.download': 'Download this period’s donation receipts (CSV)',
  'donation.list.none': 'No donation receipts were issued from {from} to {to}.',
  'donation.list.pdf': 'PDF',
  'donation.order.heading': 'Donation receipt',
  'donation.order.intro': 'Your donation has arrived and donation receipt {number} was issued ({amount}, project: {project}, {date}).',
  'donation.order.download': 'Download the donation receipt (PDF)',
  'donation.notDonation':
    'Buying goods is not a donation and gets no donation receipt; the money is shared between households and the project by the rules. For a donation receipt, fulfil a micro-wish.',
  'errors.donation_receipt_not_found': 'This donation receipt does not exist, or you may not see it.',
  'audit.action.donation_receipt.export': 'Exported the list of donation receipts (with donors’ names)',
  'audit.entity.donation_receipts': 'donation receipts {id}',
  'errors.period_invalid': 'The period is wrong: give the start and end dates as 2025-01-31, with the start not after the end.',
};
