import { useId, useState } from 'react';
import { loadTheme, saveTheme, THEMES, type Theme } from '../lib/theme.js';

const LABELS: Record<Theme, string> = { system: 'System', light: 'Light', dark: 'Dark' };

/** Light / dark / system, kept for the next visit. */
export function ThemeSwitch() {
  const id = useId();
  const [theme, setTheme] = useState<Theme>(loadTheme);
  return (
    <div className="theme-switch">
      <label htmlFor={id}>Theme</label>
      <select
        id={id}
        value={theme}
        onChange={(event) => {
          const next = event.target.value as Theme;
          setTheme(next);
          saveTheme(next);
        }}
      >
        {THEMES.map((value) => (
          <option key={value} value={value}>
            {LABELS[value]}
          </option>
        ))}
      </select>
    </div>
  );
}
