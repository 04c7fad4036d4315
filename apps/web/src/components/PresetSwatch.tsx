/**
 * A tiny picture of what each preset makes, drawn inline (no image requests), in the preset's own
 * aspect ratio so the picker also shows the shape of the result.
 */
import type { Preset } from '@darkroom/core';
import type { ReactElement } from 'react';

const DRAWINGS: Record<Preset, ReactElement> = {
  'coloring-page': (
    <g fill="none" stroke="#222" strokeWidth="1.6">
      <rect width="30" height="40" fill="#fff" stroke="none" />
      <circle cx="15" cy="15" r="7" />
      <path d="M8 34 Q15 22 22 34 Z" />
      <path d="M4 38 H26" />
    </g>
  ),
  cover: (
    <g>
      <rect width="30" height="45" fill="#2b3a67" />
      <rect x="4" y="4" width="22" height="7" fill="#f2e8cf" opacity="0.35" />
      <circle cx="15" cy="27" r="8" fill="#f4a259" />
      <rect x="0" y="38" width="30" height="7" fill="#1b2442" />
    </g>
  ),
  illustration: (
    <g>
      <rect width="40" height="40" fill="#bde0fe" />
      <circle cx="30" cy="10" r="5" fill="#ffd166" />
      <path d="M0 30 Q12 18 22 28 T40 26 V40 H0 Z" fill="#06d6a0" />
      <path d="M14 30 l4 -9 l4 9 Z" fill="#ef476f" />
    </g>
  ),
  'character-reference': (
    <g>
      <rect width="30" height="40" fill="#eeeeee" />
      <circle cx="15" cy="9" r="4.5" fill="#8d5a97" />
      <rect x="11" y="14" width="8" height="13" rx="2" fill="#8d5a97" />
      <rect x="11" y="27" width="3" height="10" fill="#5c3a66" />
      <rect x="16" y="27" width="3" height="10" fill="#5c3a66" />
    </g>
  ),
  background: (
    <g>
      <rect width="64" height="36" fill="#90caf9" />
      <path d="M0 26 L14 12 L26 24 L40 8 L64 28 V36 H0 Z" fill="#5c7457" />
      <rect y="30" width="64" height="6" fill="#3e5641" />
    </g>
  ),
  photo: (
    <g>
      <rect width="48" height="32" fill="#3d405b" />
      <circle cx="24" cy="16" r="10" fill="#e07a5f" opacity="0.9" />
      <circle cx="24" cy="16" r="5" fill="#f2cc8f" />
      <rect width="48" height="32" fill="url(#vignette)" />
    </g>
  ),
  'product-on-model': (
    <g>
      <rect width="30" height="40" fill="#e9e4dc" />
      <circle cx="15" cy="8" r="4.5" fill="#c98f6b" />
      <path d="M8 15 H22 L24 32 H6 Z" fill="#b3423a" />
      <rect x="9" y="32" width="4" height="8" fill="#3d405b" />
      <rect x="17" y="32" width="4" height="8" fill="#3d405b" />
    </g>
  ),
  flatlay: (
    <g>
      <rect width="40" height="40" fill="#f1ede6" />
      <path d="M8 8 H20 L22 12 V26 H6 V12 Z" fill="#3d6b8f" />
      <rect x="25" y="9" width="9" height="6" rx="2" fill="#b3423a" />
      <circle cx="29" cy="27" r="5" fill="#e0a458" />
    </g>
  ),
  'background-swap': (
    <g>
      <rect width="40" height="40" fill="#8fb3c9" />
      <rect width="20" height="40" fill="#e0a458" />
      <circle cx="20" cy="22" r="9" fill="#2f3e46" />
      <rect x="16" y="8" width="8" height="6" fill="#2f3e46" />
    </g>
  ),
};

const VIEW_BOX: Record<Preset, string> = {
  'coloring-page': '0 0 30 40',
  cover: '0 0 30 45',
  illustration: '0 0 40 40',
  'character-reference': '0 0 30 40',
  background: '0 0 64 36',
  photo: '0 0 48 32',
  'product-on-model': '0 0 30 40',
  flatlay: '0 0 40 40',
  'background-swap': '0 0 40 40',
};

export function PresetSwatch({ preset }: { preset: Preset }) {
  const [, , width, height] = VIEW_BOX[preset].split(' ').map(Number) as [number, number, number, number];
  return (
    <svg
      className="preset-swatch"
      viewBox={VIEW_BOX[preset]}
      width={(width * 32) / Math.max(width, height)}
      height={(height * 32) / Math.max(width, height)}
      aria-hidden="true"
      focusable="false"
    >
      <defs>
        <radialGradient id="vignette">
          <stop offset="60%" stopColor="#000" stopOpacity="0" />
          <stop offset="100%" stopColor="#000" stopOpacity="0.5" />
        </radialGradient>
      </defs>
      {DRAWINGS[preset]}
    </svg>
  );
}
