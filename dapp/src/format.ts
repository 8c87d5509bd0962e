// Small formatting and DOM helpers shared by the sections.
import { formatEther, formatGwei } from 'viem'

/** BAI amount with up to `digits` decimals, no trailing zeros ("0.001", "10,000"). */
export function bai(wei: bigint, digits = 6): string {
  const s = formatEther(wei)
  const [i, f = ''] = s.split('.')
  const int = BigInt(i ?? '0').toLocaleString('en-US')
  const frac = f.slice(0, digits).replace(/0+$/, '')
  return frac ? `${int}.${frac}` : int
}

/** Exact BAI amount (all 18 decimals when needed). */
export function baiExact(wei: bigint): string {
  return formatEther(wei)
}

export function gwei(wei: bigint): string {
  return `${formatGwei(wei)} gwei`
}

export function int(n: bigint | number): string {
  return BigInt(n).toLocaleString('en-US')
}

/** A long decimal number (a proposal id) shortened for text: "10343…2875"; short ones unchanged. */
export function shortId(id: bigint): string {
  const s = id.toString()
  return s.length > 14 ? `${s.slice(0, 6)}…${s.slice(-4)}` : s
}

export function shortHex(h: string, head = 6, tail = 4): string {
  return h.length > head + tail + 3 ? `${h.slice(0, head + 2)}…${h.slice(-tail)}` : h
}

export function $(sel: string, root: ParentNode = document): HTMLElement {
  const el = root.querySelector<HTMLElement>(sel)
  if (!el) throw new Error(`missing element ${sel}`)
  return el
}

/** Escapes text for innerHTML templates. */
export function esc(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] as string)
}

export function ago(unixSeconds: bigint): string {
  const d = Math.max(0, Math.round(Date.now() / 1000 - Number(unixSeconds)))
  if (d > 86_400) return new Date(Number(unixSeconds) * 1000).toISOString().replace('T', ' ').slice(0, 16) + ' UTC'
  return d < 60 ? `${d}s ago` : d < 3600 ? `${Math.floor(d / 60)}m ago` : `${Math.floor(d / 3600)}h ago`
}

/** Sets a status line: kind "" (neutral), "ok", "error" or "busy". */
export function status(el: HTMLElement, text: string, kind: '' | 'ok' | 'error' | 'busy' = ''): void {
  el.textContent = text
  el.className = `status ${kind}`.trim()
  el.hidden = text === ''
}

/** A span of seconds in words: "45 s", "3 min 20 s", "2 h 5 min", "6 d 23 h". */
export function duration(seconds: bigint | number): string {
  const s = Math.max(0, Number(seconds))
  if (s < 120) return `${s} s`
  const [d, h, m] = [Math.floor(s / 86_400), Math.floor((s % 86_400) / 3600), Math.floor((s % 3600) / 60)]
  if (d) return h ? `${d} d ${h} h` : `${d} d`
  if (h) return m ? `${h} h ${m} min` : `${h} h`
  return s % 60 ? `${m} min ${s % 60} s` : `${m} min`
}
