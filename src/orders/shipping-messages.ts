/**
 * Messages of who ships a village's parcel: a coordinator shipping on a village's behalf, and
 * the villages with published products that no first secretary ships for.
 */
export const zh = {
  'ship.parcels.heading': '各村包裹',
  'ship.parcel.pending': '{village}：待发货',
  'ship.parcel.shipped': '{village}：已发货 · {carrier} {trackingNumber} · {time}',
  'ship.parcel.noSecretary': '{village}还没有驻村第一书记账号，只能由协调员代发。',
  'ship.onBehalf.explain': '村里的书记不在或还没有账号时，协调员可以代村发货。审计日志会记下是你代这个村发的货。',
  'ship.onBehalf.submit': '代{village}发货',
  'ship.onBehalf.done': '已代{village}登记发货。',

  'ship.unstaffed.heading': '没有书记发货的村',
  'ship.unstaffed.explain': '这些村有上架的商品，却没有驻村第一书记账号：买家的包裹没人发，只能由协调员在订单页代发。请管理员为每个村建一个书记账号。',
  'ship.unstaffed.village': '{village}（{count} 件上架商品）',
};

export const en: Record<keyof typeof zh, string> = {
  'ship.parcels.heading': 'Parcels by village',
  'ship.parcel.pending': '{village}: waiting to ship',
  'ship.parcel.shipped': '{village}: shipped · {carrier} {trackingNumber} · {time}',
  'ship.parcel.noSecretary': '{village} has no first secretary account yet: only a coordinator can ship its parcels.',
  'ship.onBehalf.explain':
    'When a village’s secretary is away or has no account, a coordinator may ship for the village. The audit log records that you shipped on its behalf.',
  'ship.onBehalf.submit': 'Ship for {village}',
  'ship.onBehalf.done': 'Shipment recorded on behalf of {village}.',

  'ship.unstaffed.heading': 'Villages nobody ships for',
  'ship.unstaffed.explain':
    'These villages have published products but no first secretary account: nobody ships their buyers’ parcels except a coordinator from the order page. Ask an admin to create a secretary account for each.',
  'ship.unstaffed.village': '{village} ({count, plural, one {# published product} other {# published products}})',
};
