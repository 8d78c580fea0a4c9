/** Messages of what a lot recall does to orders: held parcels, refunds and replacements, notices to buyers. */
export const zh = {
  'errors.parcel_holds_recalled_units':
    '这个包裹里有 {units} {unit}「{product}」来自已召回的批次 {lot}，不能发货。请协调员先为这部分退款或换成其他批次，再发货；订单中其他村的包裹不受影响。',
  'errors.order_holds_recalled_units':
    '这个订单有 {units} {unit}「{product}」来自已召回的批次 {lot}，现在不能确认收款。请先在召回页面把这部分换成其他批次，或者取消订单。',
  'errors.pickup_holds_recalled_units': '这个订单有 {units} {unit}「{product}」来自已召回的批次 {lot}，不能交给顾客。请联系协调员为这部分退款或换货。',
  'errors.recall_unpaid_not_refundable': '这个订单还没有付款，没有钱可退。可以把召回的商品换成其他批次，或者取消订单。',
  'errors.recall_nothing_to_refund': '这个订单里召回批次的商品都已经退款或换货了。',
  'errors.recall_settled_meanwhile': '这个订单的召回商品刚刚已经被处理过了，请刷新页面再看。',
  'errors.recall_nothing_to_replace': '这个订单里没有还未发出、可以换货的召回商品。已经发出的只能退款。',
  'errors.recall_no_replacement': '其他批次的「{product}」只剩 {available} {unit}，不够换 {units} {unit}。请退款，或等新批次入库后再换。',

  'recall.nav': '批次召回',
  'recall.list.title': '批次召回',
  'recall.list.intro': '批次被召回后，含有这个批次商品的包裹不能发货，未付款的订单不能确认收款。请逐个联系买家，然后为召回的商品退款，或在发货前换成其他批次。',
  'recall.list.none': '你负责的项目还没有召回过批次。',
  'recall.col.lot': '批次',
  'recall.col.product': '商品',
  'recall.col.recalledAt': '召回时间',
  'recall.col.reason': '原因',
  'recall.col.orders': '涉及订单',
  'recall.col.open': '待处理',
  'recall.title': '召回批次 {code}',
  'recall.summary': '「{product}」，{village}，采收于 {harvestedOn}。{time} 召回，原因：{reason}',
  'recall.replacementStock': '其他批次现在还有 {units} {unit} 可以用来换货。',
  'recall.orders': '受影响的买家',
  'recall.ordersNone': '没有订单收到这个批次的商品。',
  'recall.privacy': '买家的联系方式只用于这次召回通知，请勿外传。',
  'recall.order.heading': '订单 {number}',
  'recall.contact': '联系人：{name}，电话：{phone}',
  'recall.email': '电子邮箱：{email}',
  'recall.address': '地址：{address}',
  'recall.units': '收到这个批次 {units} {unit}，待处理 {unsettled} {unit}。',
  'recall.stage.unpaid': '未付款：不能确认收款，请换货或取消订单。',
  'recall.stage.unshipped': '已付款、未发出：包裹暂不发货，请退款或换货。',
  'recall.stage.shipped': '已发出：请通知买家停止食用或使用，并为这部分退款。',
  'recall.stage.refunded': '已处理：这部分已经退款。',
  'recall.stage.replaced': '已处理：已换成其他批次的商品。',
  'recall.refund.button': '为召回的商品退款 {amount}',
  'recall.refund.reason': '批次 {lot} 召回',
  'recall.refund.done': '已为订单 {number} 的召回商品退款。',
  'recall.refund.pending': '已向 Stripe 申请为订单 {number} 的召回商品退款，退款成功后会记账。',
  'recall.replace.button': '换成其他批次的商品',
  'recall.replace.done': '订单 {number} 的 {units} 件召回商品已换成其他批次。',
  'recall.cancel.hint': '买家不想要了的话，可以在订单页取消这个未付款的订单，库存会释放。',
  'recall.orderLink': '打开订单',
  'recall.notice.heading': '通知买家的文字（可以直接复制发送）',
  'recall.notice.zh': '中文',
  'recall.notice.en': 'English',
  'recall.notice.unpaid':
    '{name}您好：您在乡益下的订单 {number} 中有 {units} {unit}「{product}」来自批次 {lot}，这个批次已被召回（原因：{reason}）。请先不要付款。我们可以为您换成其他批次的同样商品，或者取消订单；请回复这条消息告诉我们您的选择。给您添麻烦了，非常抱歉。',
  'recall.notice.unshipped':
    '{name}您好：您在乡益下的订单 {number} 中有 {units} {unit}「{product}」来自批次 {lot}，这个批次已被召回（原因：{reason}）。这部分商品我们不会寄出，会为您退还这部分货款，或者换成其他批次的同样商品后再寄出；订单中的其他商品照常发货。如有疑问，请回复这条消息。给您添麻烦了，非常抱歉。',
  'recall.notice.shipped':
    '{name}您好：您在乡益下的订单 {number} 中有 {units} {unit}「{product}」来自批次 {lot}，这个批次已被召回（原因：{reason}）。请立即停止食用或使用这部分商品，并妥善存放，不要转送他人；我们会为您退还这部分货款。如有疑问，请回复这条消息。给您添麻烦了，非常抱歉。',
  'recall.notice.refunded':
    '{name}您好：您在乡益下的订单 {number} 中有 {units} {unit}「{product}」来自批次 {lot}，这个批次已被召回（原因：{reason}）。我们已为您办理这部分货款的退款，按原付款方式退回。如果您已经收到这部分商品，请停止食用或使用。给您添麻烦了，非常抱歉。',
  'recall.notice.replaced':
    '{name}您好：您在乡益下的订单 {number} 中有 {units} {unit}「{product}」原本来自批次 {lot}，这个批次已被召回（原因：{reason}）。我们已经换成其他批次的同样商品，您不需要做任何事。给您添麻烦了，非常抱歉。',

  'recall.parcelHeld': '这个包裹里有 {units} {unit}「{product}」来自已召回的批次 {lot}，暂不能发货，等协调员退款或换货。',
  'recall.orderHeld': '这个订单有 {units} {unit}「{product}」来自已召回的批次 {lot}，还没有处理。',
  'recall.orderHeldLink': '去召回页面处理',
};

export const en: Record<keyof typeof zh, string> = {
  'errors.parcel_holds_recalled_units':
    'This parcel holds {units} {unit} of “{product}” from the recalled lot {lot}, so it cannot be shipped. A coordinator must refund or replace those units first; parcels of the order from other villages are not affected.',
  'errors.order_holds_recalled_units':
    'This order holds {units} {unit} of “{product}” from the recalled lot {lot}, so it cannot be marked paid now. Replace those units with another lot on the recall page, or cancel the order, first.',
  'errors.pickup_holds_recalled_units':
    'This order holds {units} {unit} of “{product}” from the recalled lot {lot}, so it cannot be handed over. Ask a coordinator to refund or replace those units.',
  'errors.recall_unpaid_not_refundable':
    'This order has not been paid, so there is nothing to refund. Replace the recalled units with another lot, or cancel the order.',
  'errors.recall_nothing_to_refund': 'Every unit of the recalled lot in this order has already been refunded or replaced.',
  'errors.recall_settled_meanwhile': 'The recalled units of this order were just settled by someone else; reload the page to see what was done.',
  'errors.recall_nothing_to_replace': 'This order has no recalled units left that have not been shipped. Units already shipped can only be refunded.',
  'errors.recall_no_replacement':
    'Other lots of “{product}” have only {available} {unit} left, not enough to replace {units} {unit}. Refund them, or replace them once a new lot has come in.',

  'recall.nav': 'Recalls',
  'recall.list.title': 'Lot recalls',
  'recall.list.intro':
    'Once a lot is recalled, parcels holding its units are not shipped and unpaid orders holding them are not marked paid. Contact each buyer, then refund the recalled units, or replace them with another lot before they are shipped.',
  'recall.list.none': 'No lot of your projects has been recalled.',
  'recall.col.lot': 'Lot',
  'recall.col.product': 'Product',
  'recall.col.recalledAt': 'Recalled',
  'recall.col.reason': 'Reason',
  'recall.col.orders': 'Orders affected',
  'recall.col.open': 'Still to settle',
  'recall.title': 'Recall of lot {code}',
  'recall.summary': '“{product}”, {village}, harvested on {harvestedOn}. Recalled at {time}, because: {reason}',
  'recall.replacementStock': 'Other lots now have {units} {unit} to replace units with.',
  'recall.orders': 'Buyers affected',
  'recall.ordersNone': 'No order received units of this lot.',
  'recall.privacy': 'Use the buyers’ contact details only for this recall notice; do not pass them on.',
  'recall.order.heading': 'Order {number}',
  'recall.contact': 'Contact: {name}, phone: {phone}',
  'recall.email': 'E-mail: {email}',
  'recall.address': 'Address: {address}',
  'recall.units': 'Received {units} {unit} of this lot; {unsettled} {unit} still to settle.',
  'recall.stage.unpaid': 'Not paid: it cannot be marked paid; replace the units or cancel the order.',
  'recall.stage.unshipped': 'Paid, not shipped: the parcel is held; refund or replace the units.',
  'recall.stage.shipped': 'Shipped: tell the buyer to stop eating or using them, and refund them.',
  'recall.stage.refunded': 'Settled: the units have been refunded.',
  'recall.stage.replaced': 'Settled: the units were replaced with another lot’s.',
  'recall.refund.button': 'Refund the recalled units: {amount}',
  'recall.refund.reason': 'Recall of lot {lot}',
  'recall.refund.done': 'The recalled units of order {number} have been refunded.',
  'recall.refund.pending': 'Stripe has been asked to refund the recalled units of order {number}; the refund is posted once it succeeds.',
  'recall.replace.button': 'Replace them with another lot',
  'recall.replace.done': '{units, plural, one {# recalled unit} other {# recalled units}} of order {number} have been replaced with another lot.',
  'recall.cancel.hint': 'If the buyer no longer wants it, cancel this unpaid order on its page; its stock is released.',
  'recall.orderLink': 'Open the order',
  'recall.notice.heading': 'Notice to the buyer (ready to copy and send)',
  'recall.notice.zh': '中文',
  'recall.notice.en': 'English',
  'recall.notice.unpaid':
    'Dear {name}, your Xiangyi order {number} includes {units} {unit} of “{product}” from lot {lot}, which has been recalled (reason: {reason}). Please do not pay for it yet. We can replace it with the same product from another lot, or cancel the order; please reply to this message to tell us which you prefer. We are very sorry for the trouble.',
  'recall.notice.unshipped':
    'Dear {name}, your Xiangyi order {number} includes {units} {unit} of “{product}” from lot {lot}, which has been recalled (reason: {reason}). We will not send these units: we will refund them, or send the same product from another lot instead; the rest of your order ships as usual. If you have any questions, please reply to this message. We are very sorry for the trouble.',
  'recall.notice.shipped':
    'Dear {name}, your Xiangyi order {number} includes {units} {unit} of “{product}” from lot {lot}, which has been recalled (reason: {reason}). Please stop eating or using them at once, keep them aside and do not give them to anyone; we will refund what you paid for them. If you have any questions, please reply to this message. We are very sorry for the trouble.',
  'recall.notice.refunded':
    'Dear {name}, your Xiangyi order {number} includes {units} {unit} of “{product}” from lot {lot}, which has been recalled (reason: {reason}). We have refunded what you paid for them, the same way you paid. If you have already received them, please stop eating or using them. We are very sorry for the trouble.',
  'recall.notice.replaced':
    'Dear {name}, your Xiangyi order {number} included {units} {unit} of “{product}” from lot {lot}, which has been recalled (reason: {reason}). We have replaced them with the same product from another lot; there is nothing you need to do. We are very sorry for the trouble.',

  'recall.parcelHeld':
    'This parcel holds {units} {unit} of “{product}” from the recalled lot {lot}; it cannot be shipped until a coordinator refunds or replaces them.',
  'recall.orderHeld': 'This order holds {units} {unit} of “{product}” from the recalled lot {lot} that have not been settled.',
  'recall.orderHeldLink': 'Settle them on the recall page',
};
