/**
 * Messages about projects as such: the sales period (a product of an ended or future project is
 * not sold) and what a coordinator scoped to some projects may do. One whole sentence per key.
 */
export const zh = {
  'errors.project_ended': '“{title}”所属的项目“{project}”已于 {date} 结束，暂停销售；商品转入正在进行的项目后才能再卖。',
  'errors.project_not_started': '“{title}”所属的项目“{project}”从 {date} 开始，开始前不能销售。',
  'product.projectEnded': '本商品所属的项目“{project}”已于 {date} 结束，暂停销售。',
  'product.projectNotStarted': '本商品所属的项目“{project}”从 {date} 开始，开始后才能购买。',
  'project.period.running': '进行中',
  'project.period.ended': '已结束（{date}），商品暂停销售',
  'project.period.not_started': '未开始（{date} 起），商品暂不销售',
  'project.period.line': '销售状态：{state}',
  'project.period.optionEnded': '{name}（已结束）',
  'project.period.optionNotStarted': '{name}（未开始）',
  'sec.product.notOnSale': '暂停销售：所属项目“{project}”已于 {date} 结束。请把商品转入正在进行的项目。',
  'sec.product.notOnSaleYet': '暂不销售：所属项目“{project}”从 {date} 开始。',
};

export const en: Record<keyof typeof zh, string> = {
  'errors.project_ended': '“{title}” belongs to the project “{project}”, which ended on {date}; it is not sold until it is moved to a running project.',
  'errors.project_not_started': '“{title}” belongs to the project “{project}”, which starts on {date}; it cannot be sold before then.',
  'product.projectEnded': 'This product’s project, “{project}”, ended on {date}; the product is not on sale.',
  'product.projectNotStarted': 'This product’s project, “{project}”, starts on {date}; it can be bought from then on.',
  'project.period.running': 'Running',
  'project.period.ended': 'Ended ({date}); its products are not on sale',
  'project.period.not_started': 'Not started (from {date}); its products are not on sale yet',
  'project.period.line': 'Sales: {state}',
  'project.period.optionEnded': '{name} (ended)',
  'project.period.optionNotStarted': '{name} (not started)',
  'sec.product.notOnSale': 'Not on sale: its project “{project}” ended on {date}. Move the product to a running project.',
  'sec.product.notOnSaleYet': 'Not on sale yet: its project “{project}” starts on {date}.',
};
