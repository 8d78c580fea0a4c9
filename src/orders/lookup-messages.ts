/** Messages of "find my order" (a guest asks for a fresh link to an order) and of the buyer's order list. */
export const zh = {
  'lookup.title': '找回订单',
  'lookup.intro': '输入订单号和下单时填写的手机号（或您账户的电子邮箱），我们会把查看订单的新链接发给您。',
  'lookup.number': '订单号',
  'lookup.numberHint': '例如 XY-20261205-0042，在订单确认页和邮件中可以找到。',
  'lookup.contact': '手机号或电子邮箱',
  'lookup.submit': '发送订单链接',
  'lookup.sentTitle': '请查收订单链接',
  'lookup.sent':
    '如果订单号与手机号或邮箱相符，我们已把订单 {number} 的新链接发送到该订单登记的电子邮箱（或短信）。链接 {days} 天内有效。没有收到？请核对后再试，或联系客服。',
  'lookup.link': '找回订单',
  'validation.order_number': '订单号的格式是 XY-年月日-编号，例如 XY-20261205-0042。',
  'validation.phone_or_email': '请输入 11 位手机号或有效的电子邮箱。',
  'mail.lookup.subject': '订单 {number} 的查看链接',
  'mail.lookup.body': '有人（希望是您）请求了订单 {number} 的查看链接。点击下面的按钮查看订单，链接在 {at} 之前有效。',
  'mail.lookup.ignore': '如果不是您本人操作，可以忽略这封邮件，订单不会有任何变化。',
  'sms.lookup.body': '订单 {number} 的查看链接：{link}（{at} 前有效）。非本人操作请忽略。',
  'order.pagePrev': '较新的订单',
  'order.pageNext': '较早的订单',
  'order.pageOf': '第 {page} 页，共 {pages} 页（{count} 个订单）',
};

export const en: Record<keyof typeof zh, string> = {
  'lookup.title': 'Find my order',
  'lookup.intro':
    'Enter the order number and the mobile number given when ordering (or your account’s e-mail address), and we will send you a new link to the order.',
  'lookup.number': 'Order number',
  'lookup.numberHint': 'For example XY-20261205-0042, on the order confirmation page and in our e-mails.',
  'lookup.contact': 'Mobile number or e-mail address',
  'lookup.submit': 'Send me the link',
  'lookup.sentTitle': 'Check your messages',
  'lookup.sent':
    'If the order number matches that mobile number or e-mail address, a new link to order {number} has been sent to the order’s e-mail address (or by text message). It works for {days} days. Nothing arrived? Check the details and try again, or contact us.',
  'lookup.link': 'Find my order',
  'validation.order_number': 'An order number looks like XY-20261205-0042.',
  'validation.phone_or_email': 'Enter an 11-digit mobile number or a valid e-mail address.',
  'mail.lookup.subject': 'A link to your order {number}',
  'mail.lookup.body': 'Someone (we hope you) asked for a link to order {number}. Press the button to see the order; the link works until {at}.',
  'mail.lookup.ignore': 'If this was not you, ignore this e-mail: nothing about the order has changed.',
  'sms.lookup.body': 'Your order {number}: {link} (works until {at}). Not you? Ignore this message.',
  'order.pagePrev': 'Newer orders',
  'order.pageNext': 'Older orders',
  'order.pageOf': 'Page {page} of {pages} ({count, plural, one {# order} other {# orders}})',
};
