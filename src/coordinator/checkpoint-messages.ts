/** Messages of the ledger's published checkpoints (the anchor of the hash chain). */
export const zh = {
  'anchor.heading': '账本锚点',
  'anchor.intro':
    '每一笔记账都包含上一笔的哈希值，所以改动任何一笔旧账都会被发现。为了让删掉最新几笔账也能被发现，我们公开账本现在的笔数和最新一笔的哈希值，并且每天发布一个检查点，欢迎任何人保存副本。',
  'anchor.now': '截至 {when}，账本共有 {count} 笔交易，最新一笔是第 {id} 号。',
  'anchor.headHash': '最新一笔的哈希值',
  'anchor.count': '交易笔数',
  'anchor.empty': '账本里还没有交易。',
  'anchor.latest': '最近一次发布的检查点：{day}，{count} 笔交易。',
  'anchor.noneYet': '还没有发布过检查点。',
  'anchor.listLink': '所有检查点（可下载保存）',
  'anchor.list.title': '账本检查点',
  'anchor.list.intro':
    '每个检查点记下当时账本的交易笔数和最新一笔的哈希值。服务器每天发布一次；协调员也可以随时发布（比如在月结之后）。请保存这份列表的副本：只要账本里还能在对应的位置找到每个检查点的哈希值，就说明检查点之前的账一笔也没有被删除或改动。',
  'anchor.list.verify':
    '核对方法：在账本数据库的副本上运行 npm run ledger:check -- --checkpoints 检查点文件，或者 npm run ledger:check -- --head 哈希值 --count 笔数。任何一个检查点不在账本里，核对都会失败并说明原因。',
  'anchor.list.txt': '下载检查点列表（文本文件）',
  'anchor.list.json': '下载检查点列表（JSON）',
  'anchor.list.recentOnly': '这里显示最近 {shown} 个检查点，共 {total} 个；下载的文件里有全部。',
  'anchor.list.none': '还没有发布过检查点。',
  'anchor.col.day': '发布日期',
  'anchor.col.kind': '类型',
  'anchor.col.count': '交易笔数',
  'anchor.col.head': '最新一笔',
  'anchor.col.hash': '哈希值',
  'anchor.kind.daily': '每日',
  'anchor.kind.on_demand': '临时发布',
  'anchor.publish.heading': '现在发布一个检查点',
  'anchor.publish.hint': '比如在月结之后。账本从上一个检查点以来没有新的交易时不会重复发布。',
  'anchor.publish.button': '发布检查点',
  'anchor.publish.done': '已发布检查点：{count} 笔交易。',
  'anchor.pdf':
    '账本锚点：生成本对账单时，账本共有 {count} 笔交易，最新一笔（第 {id} 号，{when}）的哈希值为 {hash}。核对：npm run ledger:check -- --head {hash} --count {count}',
  'errors.ledger_checkpoint_unchanged': '账本自上一个检查点（#{id}）以来没有新的交易，不需要再发布。',
  'errors.ledger_checkpoint_empty': '账本里还没有交易，没有可以发布的检查点。',
  'errors.ledger_checkpoint_chain_broken': '账本已经对不上检查点 #{id}（{day}）：检查点之后的账被删除或改动过。请先运行 npm run ledger:check 查明原因。',
};

export const en: Record<keyof typeof zh, string> = {
  'anchor.heading': 'Ledger anchor',
  'anchor.intro':
    'Every posting includes the hash of the one before it, so changing any earlier posting is detected. So that removing the newest postings is detected too, we publish how many transactions the ledger holds and the hash of the newest, and publish a checkpoint every day; anyone is welcome to keep a copy.',
  'anchor.now': 'As of {when}, the ledger holds {count, plural, one {# transaction} other {# transactions}}; the newest is number {id}.',
  'anchor.headHash': 'Hash of the newest transaction',
  'anchor.count': 'Transactions',
  'anchor.empty': 'The ledger has no transactions yet.',
  'anchor.latest': 'Latest published checkpoint: {day}, {count, plural, one {# transaction} other {# transactions}}.',
  'anchor.noneYet': 'No checkpoint has been published yet.',
  'anchor.listLink': 'All checkpoints (to download and keep)',
  'anchor.list.title': 'Ledger checkpoints',
  'anchor.list.intro':
    'Each checkpoint records how many transactions the ledger held and the hash of the newest one. The server publishes one every day; a coordinator can also publish one at any time (for example after closing a month). Please keep a copy of this list: as long as every checkpoint’s hash is still found in the ledger at its position, nothing up to that checkpoint has been removed or changed.',
  'anchor.list.verify':
    'To check: run npm run ledger:check -- --checkpoints <checkpoint file> on a copy of the ledger database, or npm run ledger:check -- --head <hash> --count <transactions>. If any checkpoint is missing from the ledger, the check fails and says why.',
  'anchor.list.txt': 'Download the checkpoint list (text file)',
  'anchor.list.json': 'Download the checkpoint list (JSON)',
  'anchor.list.recentOnly': 'The latest {shown} of {total, plural, one {# checkpoint} other {# checkpoints}} are shown here; the downloads have them all.',
  'anchor.list.none': 'No checkpoint has been published yet.',
  'anchor.col.day': 'Published on',
  'anchor.col.kind': 'Kind',
  'anchor.col.count': 'Transactions',
  'anchor.col.head': 'Newest',
  'anchor.col.hash': 'Hash',
  'anchor.kind.daily': 'Daily',
  'anchor.kind.on_demand': 'On demand',
  'anchor.publish.heading': 'Publish a checkpoint now',
  'anchor.publish.hint': 'For example after closing a month. Nothing is published when the ledger has no new transactions since the last checkpoint.',
  'anchor.publish.button': 'Publish a checkpoint',
  'anchor.publish.done': 'Checkpoint published: {count, plural, one {# transaction} other {# transactions}}.',
  'anchor.pdf':
    'Ledger anchor: when this statement was made, the ledger held {count, plural, one {# transaction} other {# transactions}}; the newest (number {id}, {when}) has the hash {hash}. To check: npm run ledger:check -- --head {hash} --count {count}',
  'errors.ledger_checkpoint_unchanged': 'The ledger has no new transactions since checkpoint #{id}; there is nothing new to publish.',
  'errors.ledger_checkpoint_empty': 'The ledger has no transactions yet, so there is no checkpoint to publish.',
  'errors.ledger_checkpoint_chain_broken':
    'The ledger no longer matches checkpoint #{id} ({day}): postings after it were removed or changed. Run npm run ledger:check to find out what happened.',
};
