import sharp from 'sharp';
import type { Category } from '../catalog/schema.js';
import type { EncodedProductPhoto, MediaService } from '../media/media-service.js';
import type { PhotoMotif, SeedProduct } from './seed-data.js';

/**
 * Demo product pictures drawn locally: a warm background per category and a simple motif.
 * No text, since fonts are not guaranteed on the machine. The rendered PNG goes through the
 * same validation and re-encoding as an uploaded photo.
 */

const WIDTH = 800;
const HEIGHT = 600;

/** Background gradient (top, bottom) per category. */
const BACKGROUNDS: Record<Category, [string, string]> = {
  tea: ['#e4efd2', '#b9d49a'],
  honey: ['#fbe9c4', '#f2c76b'],
  'grain-oil': ['#f6ecd0', '#e1c98f'],
  'eggs-poultry': ['#f7e6d6', '#e9c3a1'],
  'dried-goods': ['#efe1cf', '#cfae8a'],
  fruit: ['#fde3d8', '#f6ae8f'],
  spices: ['#f8dcd2', '#e19a84'],
  handicrafts: ['#f9dede', '#e7a3a3'],
};

const MOTIFS: Record<PhotoMotif, string> = {
  tea: `
    <ellipse cx="400" cy="470" rx="190" ry="28" fill="#7a5a3a" opacity="0.25"/>
    <path d="M400 470 C 395 380, 400 300, 410 220" stroke="#4f6b2f" stroke-width="10" fill="none"/>
    <path d="M405 300 C 300 280, 260 200, 280 150 C 350 170, 400 230, 405 300 Z" fill="#5f8f3a"/>
    <path d="M408 260 C 500 240, 540 170, 520 120 C 450 140, 410 200, 408 260 Z" fill="#79a94a"/>
    <path d="M410 220 C 380 170, 390 120, 420 90 C 445 130, 440 180, 410 220 Z" fill="#9cc562"/>
    <path d="M405 380 C 320 380, 270 330, 270 290 C 340 290, 390 330, 405 380 Z" fill="#6e9c44"/>`,
  honey: `
    <ellipse cx="400" cy="500" rx="150" ry="22" fill="#7a4a10" opacity="0.25"/>
    <rect x="300" y="210" width="200" height="280" rx="40" fill="#e39a1c"/>
    <rect x="320" y="250" width="160" height="200" rx="30" fill="#f4b43c"/>
    <rect x="285" y="160" width="230" height="60" rx="14" fill="#a0522d"/>
    <path d="M285 190 L 515 190" stroke="#7a3b1d" stroke-width="6"/>
    <path d="M340 300 C 360 280, 390 280, 410 300" stroke="#fff3c8" stroke-width="10" fill="none" stroke-linecap="round" opacity="0.7"/>`,
  eggs: `
    <ellipse cx="400" cy="480" rx="220" ry="30" fill="#6b4a2b" opacity="0.25"/>
    <path d="M190 420 Q 400 520 610 420 L 590 470 Q 400 540 210 470 Z" fill="#b98a55"/>
    <ellipse cx="310" cy="370" rx="62" ry="80" fill="#f3dcc0"/>
    <ellipse cx="420" cy="350" rx="66" ry="86" fill="#fbeedd"/>
    <ellipse cx="520" cy="380" rx="58" ry="76" fill="#eccfaa"/>
    <ellipse cx="400" cy="320" rx="18" ry="26" fill="#ffffff" opacity="0.6"/>`,
  bottle: `
    <ellipse cx="400" cy="510" rx="130" ry="22" fill="#5a3d10" opacity="0.25"/>
    <rect x="370" y="110" width="60" height="40" rx="8" fill="#8b5a2b"/>
    <path d="M375 150 L 425 150 L 425 210 Q 490 240 490 300 L 490 480 Q 490 505 465 505 L 335 505 Q 310 505 310 480 L 310 300 Q 310 240 375 210 Z" fill="#e0b43a" opacity="0.92"/>
    <rect x="330" y="330" width="140" height="110" rx="12" fill="#fff6dc"/>
    <circle cx="400" cy="385" r="32" fill="#7fa650"/>`,
  shoe: `
    <ellipse cx="400" cy="470" rx="230" ry="28" fill="#5a1d1d" opacity="0.25"/>
    <path d="M180 440 Q 170 330 280 300 L 420 290 Q 600 300 620 440 Z" fill="#c8322c"/>
    <path d="M180 440 L 620 440 L 610 460 L 190 460 Z" fill="#f2e6c9"/>
    <circle cx="520" cy="350" r="70" fill="#e8a23a"/>
    <circle cx="495" cy="335" r="12" fill="#222"/>
    <circle cx="545" cy="335" r="12" fill="#222"/>
    <path d="M500 375 Q 520 395 540 375" stroke="#222" stroke-width="6" fill="none"/>
    <path d="M470 300 L 480 270 L 500 295 M 540 295 L 560 270 L 570 300" stroke="#222" stroke-width="6" fill="#e8a23a"/>
    <path d="M490 310 L 510 310 M 530 310 L 550 310" stroke="#222" stroke-width="5"/>`,
  peach: `
    <ellipse cx="400" cy="480" rx="220" ry="28" fill="#7a2e1a" opacity="0.22"/>
    <ellipse cx="320" cy="380" rx="110" ry="80" fill="#f49a7c"/>
    <ellipse cx="480" cy="390" rx="110" ry="78" fill="#f7b28c"/>
    <ellipse cx="300" cy="370" rx="50" ry="35" fill="#e5604a" opacity="0.6"/>
    <ellipse cx="500" cy="380" rx="50" ry="35" fill="#ea6f52" opacity="0.5"/>
    <path d="M400 300 C 430 250, 490 240, 520 260 C 480 290, 430 300, 400 300 Z" fill="#6e9c44"/>`,
  orange: `
    <ellipse cx="400" cy="480" rx="220" ry="28" fill="#7a3a0a" opacity="0.22"/>
    <circle cx="320" cy="370" r="95" fill="#f08a1c"/>
    <circle cx="480" cy="380" r="90" fill="#f5a030"/>
    <circle cx="300" cy="340" r="22" fill="#ffd08a" opacity="0.6"/>
    <path d="M480 290 C 500 250, 550 240, 580 255 C 550 285, 510 292, 480 290 Z" fill="#5f8f3a"/>`,
  passionfruit: `
    <ellipse cx="400" cy="480" rx="220" ry="28" fill="#3a1a3a" opacity="0.22"/>
    <circle cx="300" cy="380" r="85" fill="#6b2d5c"/>
    <circle cx="480" cy="385" r="80" fill="#7e3a6d"/>
    <circle cx="480" cy="385" r="55" fill="#f3c64a"/>
    <circle cx="470" cy="375" r="7" fill="#3a2a1a"/><circle cx="495" cy="395" r="7" fill="#3a2a1a"/><circle cx="465" cy="405" r="7" fill="#3a2a1a"/><circle cx="500" cy="365" r="7" fill="#3a2a1a"/>
    <circle cx="280" cy="350" r="18" fill="#a86b98" opacity="0.6"/>`,
  grain: `
    <ellipse cx="400" cy="500" rx="190" ry="26" fill="#6b4a1a" opacity="0.25"/>
    <path d="M260 500 Q 240 330 300 250 L 500 250 Q 560 330 540 500 Z" fill="#d9b77a"/>
    <path d="M300 250 Q 400 200 500 250 Q 400 290 300 250 Z" fill="#f2cf4a"/>
    <path d="M300 250 L 280 220 M 500 250 L 520 220" stroke="#9a7a3a" stroke-width="8"/>
    <path d="M400 450 L 400 330 M 400 360 L 370 330 M 400 360 L 430 330 M 400 400 L 365 370 M 400 400 L 435 370" stroke="#b08a3a" stroke-width="8" stroke-linecap="round"/>`,
  noodles: `
    <ellipse cx="400" cy="480" rx="220" ry="28" fill="#5a4a3a" opacity="0.22"/>
    <path d="M220 450 Q 300 250 400 200 Q 500 250 580 450 Z" fill="#b9b0a4" opacity="0.5"/>
    <path d="M260 450 Q 330 280 400 220 M 300 450 Q 350 300 400 230 M 340 450 Q 380 320 410 240 M 380 450 Q 410 320 420 240 M 420 450 Q 440 320 430 240 M 460 450 Q 460 320 440 240 M 500 450 Q 480 320 450 240 M 540 450 Q 500 300 455 230" stroke="#8f7d6a" stroke-width="7" fill="none"/>
    <rect x="340" y="200" width="120" height="28" rx="8" fill="#c0392b"/>`,
  walnut: `
    <ellipse cx="400" cy="480" rx="220" ry="28" fill="#4a2e14" opacity="0.25"/>
    <circle cx="310" cy="380" r="80" fill="#b38350"/>
    <circle cx="470" cy="360" r="85" fill="#c4945c"/>
    <circle cx="410" cy="430" r="60" fill="#a87645"/>
    <path d="M310 300 Q 290 380 310 460 M 470 275 Q 450 360 470 445 M 410 370 Q 395 430 410 490" stroke="#7a5230" stroke-width="5" fill="none"/>
    <path d="M270 350 Q 300 360 280 390 M 430 330 Q 460 340 440 370 M 500 360 Q 520 380 500 400" stroke="#7a5230" stroke-width="4" fill="none"/>`,
  mushroom: `
    <ellipse cx="400" cy="490" rx="220" ry="26" fill="#3a2a1a" opacity="0.25"/>
    <rect x="300" y="340" width="50" height="140" rx="20" fill="#f1e4cc"/>
    <path d="M210 360 Q 220 240 325 230 Q 430 240 440 360 Z" fill="#7a4a2a"/>
    <rect x="460" y="370" width="42" height="110" rx="18" fill="#efe0c4"/>
    <path d="M390 380 Q 400 290 481 285 Q 562 290 572 380 Z" fill="#8d5a34"/>
    <circle cx="290" cy="290" r="12" fill="#c89a6a"/><circle cx="350" cy="275" r="9" fill="#c89a6a"/><circle cx="480" cy="320" r="10" fill="#c89a6a"/>`,
  fungus: `
    <ellipse cx="400" cy="480" rx="220" ry="28" fill="#1a1a1a" opacity="0.2"/>
    <path d="M240 400 Q 220 320 300 300 Q 340 260 380 310 Q 420 280 430 340 Q 460 400 380 420 Q 300 450 240 400 Z" fill="#2f2523"/>
    <path d="M420 420 Q 420 340 490 330 Q 540 300 570 360 Q 600 420 530 440 Q 460 460 420 420 Z" fill="#3d302c"/>
    <path d="M300 360 Q 340 340 370 370 M 470 380 Q 510 360 540 390" stroke="#5a4742" stroke-width="6" fill="none"/>`,
  pepper: `
    <ellipse cx="400" cy="480" rx="220" ry="28" fill="#5a1a10" opacity="0.22"/>
    <path d="M400 200 L 400 260 M 400 240 L 340 280 M 400 240 L 460 280" stroke="#5f7f3a" stroke-width="8" fill="none"/>
    <circle cx="340" cy="310" r="26" fill="#b3261e"/><circle cx="385" cy="300" r="26" fill="#c0392b"/><circle cx="430" cy="315" r="26" fill="#a82a20"/>
    <circle cx="460" cy="300" r="26" fill="#c0392b"/><circle cx="360" cy="350" r="26" fill="#b3261e"/><circle cx="410" cy="355" r="26" fill="#c0392b"/>
    <circle cx="455" cy="350" r="26" fill="#a82a20"/><circle cx="385" cy="395" r="26" fill="#b3261e"/><circle cx="435" cy="395" r="26" fill="#c0392b"/>
    <path d="M300 300 C 270 270, 280 240, 310 230 C 320 260, 315 285, 300 300 Z" fill="#6e9c44"/>`,
  chicken: `
    <ellipse cx="400" cy="490" rx="200" ry="24" fill="#5a3a1a" opacity="0.25"/>
    <ellipse cx="390" cy="360" rx="150" ry="110" fill="#b5652a"/>
    <circle cx="510" cy="250" r="60" fill="#c9773a"/>
    <path d="M490 200 Q 500 170 515 195 Q 525 165 540 195 Q 550 175 555 205 Z" fill="#d2302a"/>
    <path d="M565 250 L 600 262 L 565 274 Z" fill="#f0b429"/>
    <circle cx="530" cy="240" r="8" fill="#222"/>
    <path d="M540 280 Q 548 300 535 305" stroke="#d2302a" stroke-width="10" fill="none"/>
    <path d="M250 330 Q 200 260 230 230 Q 260 290 290 300 Z" fill="#7a3e18"/>
    <path d="M360 460 L 360 490 M 420 460 L 420 490" stroke="#e0a020" stroke-width="8"/>`,
  insole: `
    <ellipse cx="400" cy="490" rx="220" ry="24" fill="#5a1d1d" opacity="0.2"/>
    <path d="M300 470 Q 250 470 250 390 Q 250 300 270 220 Q 290 140 330 140 Q 370 140 370 220 Q 370 300 350 390 Q 345 470 300 470 Z" fill="#f6efe0" stroke="#c8322c" stroke-width="6"/>
    <path d="M500 470 Q 455 470 450 390 Q 430 300 430 220 Q 430 140 470 140 Q 510 140 530 220 Q 550 300 550 390 Q 550 470 500 470 Z" fill="#f6efe0" stroke="#c8322c" stroke-width="6"/>
    <circle cx="320" cy="230" r="26" fill="#d9445a"/><circle cx="480" cy="230" r="26" fill="#d9445a"/>
    <circle cx="305" cy="380" r="20" fill="#e8a23a"/><circle cx="495" cy="380" r="20" fill="#e8a23a"/>
    <path d="M300 300 L 320 320 L 300 340 L 280 320 Z M 500 300 L 520 320 L 500 340 L 480 320 Z" fill="#3f8f5a"/>`,
  pillow: `
    <ellipse cx="400" cy="480" rx="240" ry="26" fill="#5a1d1d" opacity="0.22"/>
    <rect x="180" y="300" width="440" height="170" rx="80" fill="#e8a23a"/>
    <path d="M240 320 L 260 350 M 300 310 L 310 345 M 500 310 L 490 345 M 560 320 L 540 350" stroke="#5a2d0c" stroke-width="10" stroke-linecap="round"/>
    <circle cx="360" cy="380" r="14" fill="#222"/><circle cx="440" cy="380" r="14" fill="#222"/>
    <path d="M380 420 Q 400 440 420 420" stroke="#222" stroke-width="6" fill="none"/>
    <path d="M190 280 L 215 240 L 245 300 Z M 610 280 L 585 240 L 555 300 Z" fill="#c8322c"/>`,
  sachet: `
    <ellipse cx="400" cy="490" rx="180" ry="24" fill="#5a1d1d" opacity="0.2"/>
    <path d="M400 140 L 400 220" stroke="#c8322c" stroke-width="6"/>
    <path d="M400 220 Q 520 260 520 360 Q 520 460 400 470 Q 280 460 280 360 Q 280 260 400 220 Z" fill="#d9445a"/>
    <circle cx="400" cy="350" r="48" fill="#f2c14e"/>
    <circle cx="400" cy="350" r="20" fill="#c8322c"/>
    <path d="M380 470 L 370 530 M 400 470 L 400 535 M 420 470 L 430 530" stroke="#e8a23a" stroke-width="5"/>`,
  yuba: `
    <ellipse cx="400" cy="490" rx="230" ry="26" fill="#6b4a1a" opacity="0.22"/>
    <path d="M200 430 Q 300 250 400 230 Q 500 250 600 430" stroke="#d9a441" stroke-width="34" fill="none" stroke-linecap="round"/>
    <path d="M230 450 Q 320 290 400 275 Q 480 290 570 450" stroke="#e6b85a" stroke-width="30" fill="none" stroke-linecap="round"/>
    <path d="M260 470 Q 340 330 400 320 Q 460 330 540 470" stroke="#f0c872" stroke-width="26" fill="none" stroke-linecap="round"/>
    <path d="M180 200 L 620 200" stroke="#8b6a3a" stroke-width="10" stroke-linecap="round"/>`,
  pork: `
    <ellipse cx="400" cy="490" rx="200" ry="24" fill="#3a1a10" opacity="0.22"/>
    <path d="M400 130 L 400 190" stroke="#6b4a2a" stroke-width="6"/>
    <rect x="280" y="190" width="240" height="280" rx="26" fill="#8a3b22"/>
    <rect x="280" y="250" width="240" height="40" fill="#f1d9b5"/>
    <rect x="280" y="330" width="240" height="30" fill="#f1d9b5"/>
    <rect x="280" y="400" width="240" height="26" fill="#f1d9b5"/>`,
};

/** A small deterministic number from the slug, so every product's picture differs. */
function slugHash(slug: string): number {
  let h = 2166136261;
  for (let i = 0; i < slug.length; i++) {
    h ^= slug.charCodeAt(i);
    h = Math.imul(h, 16777619);
  }
  return h >>> 0;
}

/** The SVG for one product: background, scattered light dots placed by the slug, the motif. */
export function productSvg(product: Pick<SeedProduct, 'slug' | 'category' | 'motif'>): string {
  const [top, bottom] = BACKGROUNDS[product.category];
  let h = slugHash(product.slug);
  const dots: string[] = [];
  for (let i = 0; i < 7; i++) {
    h = Math.imul(h ^ (h >>> 15), 2246822507) >>> 0;
    const x = h % WIDTH;
    const y = (h >>> 10) % 220;
    const r = 14 + ((h >>> 20) % 40);
    dots.push(`<circle cx="${x}" cy="${y}" r="${r}" fill="#ffffff" opacity="0.18"/>`);
  }
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${HEIGHT}" viewBox="0 0 ${WIDTH} ${HEIGHT}">
  <defs><linearGradient id="bg" x1="0" y1="0" x2="0" y2="1"><stop offset="0" stop-color="${top}"/><stop offset="1" stop-color="${bottom}"/></linearGradient></defs>
  <rect width="${WIDTH}" height="${HEIGHT}" fill="url(#bg)"/>
  ${dots.join('\n  ')}
  ${MOTIFS[product.motif]}
</svg>`;
}

/** Renders the product's SVG to PNG, as if a secretary had uploaded it. */
export async function renderProductPng(product: Pick<SeedProduct, 'slug' | 'category' | 'motif'>): Promise<Buffer> {
  return sharp(Buffer.from(productSvg(product)))
    .png({ compressionLevel: 3 })
    .toBuffer();
}

/**
 * Renders and re-encodes every product's photo through the upload pipeline (validation, EXIF
 * stripping, both sizes). Async and writes nothing, so it runs before the seed transaction.
 */
export async function encodeSeedPhotos(
  media: Pick<MediaService, 'encodeProductPhoto'>,
  products: readonly SeedProduct[],
): Promise<Map<string, EncodedProductPhoto>> {
  const encoded = await Promise.all(products.map(async (p) => [p.slug, await media.encodeProductPhoto(await renderProductPng(p))] as const));
  return new Map(encoded);
}
