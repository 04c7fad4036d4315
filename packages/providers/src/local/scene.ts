/**
 * The local provider's picture: a small landscape drawn as SVG, chosen entirely by the prompt, the seed
 * and the preset. Words in the prompt pick the elements (night, water, trees, flowers, a dragon, a
 * tower), the prompt's hash picks the palette, the seed moves everything around. A coloring page is
 * the same scene as black outlines on white. It is not a model and says so in its caption.
 */
import type { Preset } from '@darkroom/core';
import { hashString, makeRandom, type Random } from './random.js';

export interface SceneRequest {
  prompt: string;
  preset: Preset;
  style?: string;
  width: number;
  height: number;
  seed: number;
  /** Colours of a reference image (#rrggbb); they replace the prompt's own palette for sky and land. */
  palette?: string[];
  /** The same scene as outlines only (the first pass of a developing image), whatever the preset. */
  outlineOnly?: boolean;
}

interface Theme {
  night: boolean;
  water: boolean;
  trees: boolean;
  flowers: boolean;
  dragon: boolean;
  tower: boolean;
  snow: boolean;
}

const WORDS: Record<keyof Theme, RegExp> = {
  night: /\b(night|moon|stars?|dark|midnight|dusk)\b/i,
  water: /\b(sea|ocean|lake|pond|boat|river|beach|water|ship)\b/i,
  trees: /\b(trees?|forest|woods?|jungle|park)\b/i,
  flowers: /\b(garden|flowers?|meadow|roses?|spring|bloom)\b/i,
  dragon: /\b(dragons?|dinosaur|monster|creature)\b/i,
  tower: /\b(castle|tower|lighthouse|house|city|village)\b/i,
  snow: /\b(snow|winter|ice|frozen)\b/i,
};

function themeOf(prompt: string): Theme {
  const entries = Object.entries(WORDS).map(([key, pattern]) => [key, pattern.test(prompt)]);
  return Object.fromEntries(entries) as Theme;
}

/** Fill and stroke for a shape: its colour, or white with a black outline on a coloring page. */
type Paint = (color: string, extra?: string) => string;

export function buildScene(request: SceneRequest): string {
  const { width: W, height: H, preset } = request;
  // The user's words come first in the prompt; the theme and palette follow them, not the preset text.
  const subject = request.prompt.split(',')[0] ?? request.prompt;
  const theme = themeOf(request.prompt);
  const random = makeRandom(hashString(`${request.prompt}|${preset}|${request.style ?? ''}`) ^ request.seed);
  const lineArt = preset === 'coloring-page' || request.outlineOnly === true;
  const stroke = Math.max(2, Math.round(Math.min(W, H) / 200));
  const paint: Paint = (color, extra = '') =>
    lineArt
      ? `fill="#ffffff" stroke="#000000" stroke-width="${stroke}" stroke-linejoin="round" ${extra}`
      : `fill="${color}" ${extra}`;

  const hue = hashString(subject) % 360;
  const hsl = (h: number, s: number, l: number) => `hsl(${Math.round(((h % 360) + 360) % 360)}, ${s}%, ${l}%)`;
  const tint = request.palette && request.palette.length > 0 ? request.palette : null;
  const skyTop = tint?.[0] ?? (theme.night ? hsl(hue + 220, 45, 12) : hsl(hue + 190, 65, theme.snow ? 80 : 62));
  const skyBottom = tint?.[1] ?? tint?.[0] ?? (theme.night ? hsl(hue + 250, 40, 28) : hsl(hue + 30, 75, 86));
  const horizon = H * random.between(0.52, 0.66);

  const parts: string[] = [];
  const defs = lineArt
    ? ''
    : `<defs>
        <linearGradient id="sky" x1="0" y1="0" x2="0" y2="1"><stop offset="0" stop-color="${skyTop}"/><stop offset="1" stop-color="${skyBottom}"/></linearGradient>
        ${preset === 'photo' ? '<filter id="soft"><feGaussianBlur stdDeviation="3"/></filter>' : ''}
      </defs>`;
  parts.push(`<rect width="${W}" height="${H}" fill="${lineArt ? '#ffffff' : 'url(#sky)'}"/>`);

  // Sun or moon, then stars or clouds.
  const orbX = W * random.between(0.12, 0.88);
  const orbY = H * random.between(0.1, 0.3);
  const orbR = Math.min(W, H) * random.between(0.05, 0.09);
  parts.push(
    `<circle cx="${orbX}" cy="${orbY}" r="${orbR}" ${paint(theme.night ? '#f4f1d0' : hsl(hue + 45, 95, 62))}/>`,
  );
  if (theme.night) {
    for (let i = random.int(14, 30); i > 0; i--)
      parts.push(
        star(
          random.between(0, W),
          random.between(0, horizon * 0.8),
          Math.min(W, H) * random.between(0.006, 0.014),
          paint,
        ),
      );
  } else {
    for (let i = random.int(2, 5); i > 0; i--)
      parts.push(
        cloud(
          random,
          W * random.between(0, 1),
          H * random.between(0.06, 0.35),
          Math.min(W, H) * random.between(0.05, 0.1),
          paint,
        ),
      );
  }

  // Two ranges of hills, then the ground.
  parts.push(
    hills(
      random,
      W,
      H,
      horizon - H * 0.08,
      H * 0.12,
      paint(tint?.[2] ?? hsl(hue + 140, 30, theme.night ? 22 : theme.snow ? 92 : 55)),
    ),
  );
  parts.push(
    hills(
      random,
      W,
      H,
      horizon,
      H * 0.07,
      paint(tint?.[3] ?? tint?.[2] ?? hsl(hue + 110, 45, theme.night ? 16 : theme.snow ? 97 : 42)),
    ),
  );
  if (theme.water) {
    const top = horizon + H * 0.06;
    parts.push(
      `<rect x="0" y="${top}" width="${W}" height="${H * 0.16}" ${paint(hsl(hue + 200, 60, theme.night ? 25 : 52))}/>`,
    );
    for (let i = random.int(3, 7); i > 0; i--) {
      const x = random.between(0, W);
      const y = top + random.between(H * 0.02, H * 0.14);
      parts.push(
        `<path d="M${x} ${y} q ${W * 0.02} ${-H * 0.01} ${W * 0.04} 0" fill="none" stroke="${lineArt ? '#000' : '#ffffff'}" stroke-width="${stroke}" opacity="${lineArt ? 1 : 0.6}"/>`,
      );
    }
  }
  if (theme.tower) parts.push(tower(random, W, H, horizon, paint, hsl(hue + 20, 25, 70)));
  if (theme.trees || (!theme.water && random.next() < 0.5)) {
    for (let i = random.int(2, 6); i > 0; i--)
      parts.push(
        tree(
          random,
          W * random.between(0.02, 0.98),
          horizon + H * random.between(0.02, 0.12),
          Math.min(W, H) * random.between(0.08, 0.16),
          paint,
          hsl(hue + 120, 50, 32),
        ),
      );
  }
  if (theme.flowers) {
    for (let i = random.int(8, 16); i > 0; i--)
      parts.push(
        flower(
          random,
          W * random.between(0.02, 0.98),
          H * random.between(0.74, 0.9),
          Math.min(W, H) * random.between(0.015, 0.03),
          paint,
          hsl(hue + random.between(-60, 60), 80, 60),
        ),
      );
  }
  if (theme.dragon) parts.push(dragon(random, W, H, horizon, paint, hsl(hue + 100, 55, 45), lineArt));

  // Honest about what it is: a caption with the prompt.
  const caption = escapeXml(truncate(subject, 70));
  const fontSize = Math.max(10, Math.round(Math.min(W, H) / 38));
  parts.push(
    `<rect x="0" y="${H - fontSize * 2.2}" width="${W}" height="${fontSize * 2.2}" fill="${lineArt ? '#ffffff' : '#000000'}" opacity="${lineArt ? 1 : 0.45}"/>`,
    `<text x="${fontSize}" y="${H - fontSize * 0.75}" font-family="DejaVu Sans, Arial, sans-serif" font-size="${fontSize}" fill="${lineArt ? '#000000' : '#ffffff'}">${caption} · darkroom local · seed ${request.seed}</text>`,
  );

  const body =
    preset === 'photo'
      ? `<g filter="url(#soft)">${parts.slice(0, -2).join('')}</g>${parts.slice(-2).join('')}`
      : parts.join('');
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}">${defs}${body}</svg>`;
}

function star(x: number, y: number, r: number, paint: Paint) {
  const points = Array.from({ length: 10 }, (_, i) => {
    const angle = (Math.PI / 5) * i - Math.PI / 2;
    const radius = i % 2 === 0 ? r : r * 0.45;
    return `${(x + radius * Math.cos(angle)).toFixed(1)},${(y + radius * Math.sin(angle)).toFixed(1)}`;
  });
  return `<polygon points="${points.join(' ')}" ${paint('#fff8c8')}/>`;
}

function cloud(random: Random, x: number, y: number, r: number, paint: Paint) {
  const puffs = Array.from(
    { length: random.int(3, 5) },
    (_, i) =>
      `<circle cx="${x + i * r * 0.8}" cy="${y + random.between(-r * 0.3, r * 0.2)}" r="${r * random.between(0.6, 1)}"/>`,
  );
  return `<g ${paint('#ffffff', 'opacity="0.9"')}>${puffs.join('')}</g>`;
}

function hills(random: Random, W: number, H: number, baseY: number, amplitude: number, painted: string) {
  const steps = random.int(3, 6);
  let d = `M0 ${H} L0 ${baseY}`;
  for (let i = 1; i <= steps; i++) {
    const x = (W / steps) * i;
    const peak = baseY - random.between(amplitude * 0.2, amplitude);
    d += ` Q ${x - W / steps / 2} ${peak} ${x} ${baseY + random.between(-amplitude * 0.2, amplitude * 0.2)}`;
  }
  return `<path d="${d} L${W} ${H} Z" ${painted}/>`;
}

function tree(random: Random, x: number, groundY: number, size: number, paint: Paint, leaves: string) {
  const trunk = `<rect x="${x - size * 0.06}" y="${groundY - size * 0.5}" width="${size * 0.12}" height="${size * 0.5}" ${paint('#6b4a2b')}/>`;
  const crown =
    random.next() < 0.5
      ? `<circle cx="${x}" cy="${groundY - size * 0.7}" r="${size * 0.32}" ${paint(leaves)}/>`
      : `<polygon points="${x},${groundY - size * 1.2} ${x - size * 0.35},${groundY - size * 0.4} ${x + size * 0.35},${groundY - size * 0.4}" ${paint(leaves)}/>`;
  return trunk + crown;
}

function flower(random: Random, x: number, y: number, r: number, paint: Paint, color: string) {
  const petals = Array.from({ length: 5 }, (_, i) => {
    const angle = (Math.PI * 2 * i) / 5 + random.between(0, 0.3);
    return `<circle cx="${x + Math.cos(angle) * r}" cy="${y + Math.sin(angle) * r}" r="${r * 0.7}" ${paint(color)}/>`;
  });
  return `<line x1="${x}" y1="${y}" x2="${x}" y2="${y + r * 4}" stroke="#000" stroke-opacity="0.6" stroke-width="${Math.max(1, r / 4)}"/>${petals.join('')}<circle cx="${x}" cy="${y}" r="${r * 0.5}" ${paint('#ffd84a')}/>`;
}

function tower(random: Random, W: number, H: number, horizon: number, paint: Paint, color: string) {
  const x = W * random.between(0.1, 0.85);
  const w = W * random.between(0.06, 0.1);
  const h = H * random.between(0.22, 0.34);
  const top = horizon - h;
  return [
    `<rect x="${x}" y="${top}" width="${w}" height="${h}" ${paint(color)}/>`,
    `<polygon points="${x - w * 0.15},${top} ${x + w / 2},${top - w * 0.9} ${x + w * 1.15},${top}" ${paint('#b3423a')}/>`,
    `<rect x="${x + w * 0.35}" y="${top + h * 0.2}" width="${w * 0.3}" height="${h * 0.15}" ${paint('#ffe9a0')}/>`,
  ].join('');
}

function dragon(random: Random, W: number, H: number, horizon: number, paint: Paint, color: string, lineArt: boolean) {
  const s = Math.min(W, H) * random.between(0.16, 0.22);
  const x = W * random.between(0.3, 0.7);
  const y = horizon + H * random.between(0.04, 0.12);
  const facing = random.next() < 0.5 ? 1 : -1;
  const eye = lineArt ? '#000000' : '#1b1b1b';
  return `<g transform="translate(${x} ${y}) scale(${facing} 1)">
    <path d="M ${-s * 0.9} ${-s * 0.1} Q ${-s * 1.5} ${-s * 0.6} ${-s * 1.3} ${s * 0.1} Q ${-s * 1.1} ${s * 0.2} ${-s * 0.8} ${s * 0.1} Z" ${paint(color)}/>
    <polygon points="${-s * 0.2},${-s * 0.35} ${-s * 0.6},${-s * 1.1} ${s * 0.25},${-s * 0.45}" ${paint(color, 'opacity="0.9"')}/>
    <ellipse cx="0" cy="0" rx="${s * 0.9}" ry="${s * 0.45}" ${paint(color)}/>
    <ellipse cx="${s * 0.1}" cy="${s * 0.12}" rx="${s * 0.55}" ry="${s * 0.22}" ${paint('#f3d27a')}/>
    <circle cx="${s * 0.95}" cy="${-s * 0.45}" r="${s * 0.32}" ${paint(color)}/>
    <circle cx="${s * 1.05}" cy="${-s * 0.52}" r="${s * 0.06}" fill="${eye}"/>
    <path d="M ${s * 1.2} ${-s * 0.35} q ${s * 0.12} ${s * 0.06} 0 ${s * 0.1}" fill="none" stroke="${eye}" stroke-width="${Math.max(2, s / 40)}"/>
    <rect x="${-s * 0.5}" y="${s * 0.3}" width="${s * 0.18}" height="${s * 0.35}" ${paint(color)}/>
    <rect x="${s * 0.35}" y="${s * 0.3}" width="${s * 0.18}" height="${s * 0.35}" ${paint(color)}/>
  </g>`;
}

function truncate(text: string, max: number) {
  const flat = text.replace(/\s+/g, ' ').trim();
  return flat.length > max ? `${flat.slice(0, max - 1)}…` : flat;
}

function escapeXml(text: string) {
  return text.replace(
    /[<>&"']/g,
    (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', '"': '&quot;', "'": '&apos;' })[c]!,
  );
}
