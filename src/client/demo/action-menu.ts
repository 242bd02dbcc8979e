import { perform, type Action } from './ui.js';

/**
 * A menu button (the WAI-ARIA menu button pattern): one button per tile or row instead of a row of nine, its actions
 * in a list that opens on click, Enter, Space or the down arrow, moves with the arrows, Home and End, and closes on
 * Escape, Tab, a choice or a click elsewhere. The app redraws often (every room event); a menu open during a redraw
 * comes back open with the same item focused, so a facilitator is never interrupted halfway through a choice.
 */
let openKey: string | null = null;

/** `key` names the menu across redraws (one per tile, one per roster row); `label` is what a screen reader says. */
export function actionMenu(key: string, label: string, actions: Action[], visibleText = '⋯'): HTMLElement {
  // The same menu as drawn before this redraw, still in the page: what had focus in it gets it back below.
  const previous = [...document.querySelectorAll<HTMLElement>('.menu')].find((menu) => menu.dataset.menuKey === key);
  const focusedBefore = previous ? [...previous.querySelectorAll('button')].indexOf(document.activeElement as HTMLButtonElement) : -1;
  const wrapper = document.createElement('div');
  wrapper.className = 'menu';
  wrapper.dataset.menuKey = key;
  const toggle = document.createElement('button');
  toggle.type = 'button';
  toggle.className = 'menu-button';
  toggle.textContent = visibleText;
  toggle.setAttribute('aria-label', label);
  toggle.setAttribute('aria-haspopup', 'menu');
  const list = document.createElement('ul');
  list.setAttribute('role', 'menu');
  list.setAttribute('aria-label', label);
  list.id = `menu-${key.replace(/[^A-Za-z0-9_-]/g, '_')}`;
  toggle.setAttribute('aria-controls', list.id);
  const items = actions.map((action) => {
    const item = document.createElement('button');
    item.type = 'button';
    item.setAttribute('role', 'menuitem');
    item.tabIndex = -1;
    item.textContent = action.label;
    if (action.tone) item.className = action.tone;
    item.addEventListener('click', () => {
      close(true);
      perform(action.run);
    });
    const entry = document.createElement('li');
    entry.setAttribute('role', 'none');
    entry.append(item);
    return item;
  });
  list.append(...items.map((item) => item.parentElement!));
  wrapper.append(toggle, list);

  const focusItem = (index: number) => {
    const count = items.length;
    if (!count) return;
    openKey = key;
    items[(index + count) % count]!.focus();
  };
  const show = (expanded: boolean) => {
    list.hidden = !expanded;
    toggle.setAttribute('aria-expanded', String(expanded));
    wrapper.classList.toggle('open', expanded);
  };
  function close(returnFocus: boolean): void {
    if (openKey === key) openKey = null;
    show(false);
    if (returnFocus) toggle.focus();
  }

  toggle.addEventListener('click', (event) => {
    event.stopPropagation();
    if (openKey === key) return close(false);
    closeOthers();
    openKey = key;
    show(true);
  });
  toggle.addEventListener('keydown', (event) => {
    if (event.key !== 'ArrowDown' && event.key !== 'ArrowUp') return;
    event.preventDefault();
    closeOthers();
    show(true);
    focusItem(event.key === 'ArrowDown' ? 0 : -1);
  });
  list.addEventListener('keydown', (event) => {
    const at = items.indexOf(document.activeElement as HTMLButtonElement);
    const moves: Record<string, number> = { ArrowDown: at + 1, ArrowUp: at - 1, Home: 0, End: -1 };
    if (event.key in moves) {
      event.preventDefault();
      focusItem(moves[event.key]!);
    } else if (event.key === 'Escape') {
      event.preventDefault();
      close(true);
    } else if (event.key === 'Tab') {
      close(false);
    }
  });
  list.addEventListener('click', (event) => event.stopPropagation());

  // Redrawn while open: open again; and the focus where the person had it (the button, or an item).
  show(openKey === key);
  if (focusedBefore >= 0) queueMicrotask(() => wrapper.querySelectorAll('button')[focusedBefore]?.focus());
  return wrapper;
}

function closeOthers(): void {
  openKey = null;
  for (const other of document.querySelectorAll('.menu.open')) {
    other.classList.remove('open');
    other.querySelector('[role=menu]')?.setAttribute('hidden', '');
    other.querySelector('.menu-button')?.setAttribute('aria-expanded', 'false');
  }
}

// A click anywhere else closes whatever menu is open.
document.addEventListener('click', () => {
  if (openKey) closeOthers();
});
