// Light or dark: follows the system until the viewer picks one with the
// toggle (the other theme, then back to the system's); charts redraw when
// it changes.
import { useEffect, useState } from 'preact/hooks';

const KEY = 'agentmon.theme';
const system = matchMedia('(prefers-color-scheme: dark)');

/** The viewer's choice: 'system', 'dark' or 'light'. */
export const choice = () => localStorage.getItem(KEY) ?? 'system';

/** The theme on screen. */
const effective = () => (choice() === 'system' ? (system.matches ? 'dark' : 'light') : choice());

function apply() {
  if (choice() === 'system') delete document.documentElement.dataset.theme;
  else document.documentElement.dataset.theme = choice();
  dispatchEvent(new Event('agentmon:theme'));
}

/** Following the system → the other theme; a chosen theme → following the system again. */
export function cycleTheme() {
  if (choice() === 'system') localStorage.setItem(KEY, effective() === 'dark' ? 'light' : 'dark');
  else localStorage.removeItem(KEY);
  apply();
}

/** Re-renders the caller whenever the theme on screen changes; returns it. */
export function useTheme() {
  const [theme, setTheme] = useState(effective());
  useEffect(() => {
    const update = () => setTheme(effective());
    addEventListener('agentmon:theme', update);
    system.addEventListener('change', update);
    return () => {
      removeEventListener('agentmon:theme', update);
      system.removeEventListener('change', update);
    };
  }, []);
  return theme;
}

apply();
