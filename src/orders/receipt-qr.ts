import QRCode from 'qrcode';

/** Quiet zone around the symbol, in modules (the QR specification asks for 4). */
const QUIET_ZONE = 4;

/** The public address of an order's benefit receipt. */
export function receiptUrl(publicUrl: string, receiptCode: string): string {
  return `${publicUrl.replace(/\/+$/, '')}/receipts/${encodeURIComponent(receiptCode)}`;
}

const escapeAttribute = (text: string) => text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);

/**
 * The QR code of `text` as inline SVG markup, made on the server (the page's CSP allows no inline
 * script, and inline SVG needs none). The `qrcode` package encodes the symbol; the markup is
 * written here from its module matrix, so it holds nothing but numbers and the escaped label, and
 * is safe to embed unescaped ({{{…}}}). Synchronous, so any page can render it without awaiting.
 */
export function qrSvg(text: string, label: string, sizePx = 176): string {
  const { modules } = QRCode.create(text, { errorCorrectionLevel: 'M' });
  const n = modules.size;
  const runs: string[] = [];
  for (let row = 0; row < n; row++) {
    let col = 0;
    while (col < n) {
      if (!modules.get(row, col)) {
        col++;
        continue;
      }
      const start = col;
      while (col < n && modules.get(row, col)) col++;
      runs.push(`M${start + QUIET_ZONE} ${row + QUIET_ZONE}h${col - start}v1h-${col - start}z`);
    }
  }
  const side = n + 2 * QUIET_ZONE;
  return (
    `<svg xmlns="http://www.w3.org/2000/svg" class="qr" role="img" aria-label="${escapeAttribute(label)}" width="${sizePx}" height="${sizePx}" ` +
    `viewBox="0 0 ${side} ${side}" shape-rendering="crispEdges"><rect width="${side}" height="${side}" fill="#fff"/>` +
    `<path fill="#000" d="${runs.join('')}"/></svg>`
  );
}

/** The receipt's address and its QR code, for the order page and the packing slip. */
export function receiptQr(publicUrl: string, receiptCode: string, label: string): { url: string; svg: string } {
  const url = receiptUrl(publicUrl, receiptCode);
  return { url, svg: qrSvg(url, label) };
}
