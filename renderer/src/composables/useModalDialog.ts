// A modal dialog's keyboard contract (WAI-ARIA dialog pattern): focus goes in when it opens, Tab and Shift+Tab cycle
// inside it, Esc closes it wherever focus is, and focus goes back to what opened it when it closes.
import { nextTick, onMounted, onUnmounted, type Ref } from 'vue'

const FOCUSABLE =
  'a[href], button:not([disabled]), input:not([disabled]):not([type="hidden"]), select:not([disabled]), ' +
  'textarea:not([disabled]), [tabindex]:not([tabindex="-1"])'

export function useModalDialog(
  root: Ref<HTMLElement | null>,
  close: () => void,
  first?: Ref<HTMLElement | null>
): void {
  const opener = document.activeElement instanceof HTMLElement ? document.activeElement : null

  function focusables(): HTMLElement[] {
    return [...(root.value?.querySelectorAll<HTMLElement>(FOCUSABLE) ?? [])].filter((e) => e.offsetParent !== null)
  }

  function onKeydown(e: KeyboardEvent): void {
    if (!root.value) return
    if (e.key === 'Escape') {
      e.preventDefault()
      e.stopPropagation()
      close()
      return
    }
    if (e.key !== 'Tab') return
    const items = focusables()
    if (items.length === 0) return
    const at = items.indexOf(document.activeElement as HTMLElement)
    const next = e.shiftKey ? (at <= 0 ? items.length - 1 : at - 1) : at === items.length - 1 || at < 0 ? 0 : at + 1
    e.preventDefault()
    items[next].focus()
  }

  /** Focus that lands outside (a click on the backdrop, a script) is brought back in. */
  function onFocusIn(e: FocusEvent): void {
    if (root.value && e.target instanceof Node && !root.value.contains(e.target))
      (first?.value ?? focusables()[0])?.focus()
  }

  onMounted(() => {
    document.addEventListener('keydown', onKeydown, true)
    document.addEventListener('focusin', onFocusIn)
    void nextTick(() => (first?.value ?? focusables()[0])?.focus())
  })
  onUnmounted(() => {
    document.removeEventListener('keydown', onKeydown, true)
    document.removeEventListener('focusin', onFocusIn)
    // Back to the button that opened the dialog, if it is still on the page (after Save the list may redraw).
    if (opener?.isConnected) opener.focus()
  })
}
