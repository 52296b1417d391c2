package browsertest

import (
	"encoding/json"
	"fmt"
)

// Layout is what is wrong with a page's layout at the current viewport.
// Each finding names the element (tag#id.classes "text") and its sizes in
// CSS pixels. Visually hidden elements (.sr, .sr-only, .visually-hidden,
// the skip link, or any clipped to 1×1 px) are left out.
type Layout struct {
	Width int `json:"width"` // the viewport's width less its scroll bar
	// Overflow is how many pixels the page is wider than the viewport
	// (documentElement.scrollWidth − clientWidth): it scrolls sideways.
	Overflow int `json:"overflow"`
	// Culprits are the outermost elements that reach past the right edge
	// while the page overflows.
	Culprits []string `json:"culprits"`
	// WideTables are tables whose right edge is past their container's
	// (by more than 1 px).
	WideTables []string `json:"wideTables"`
	// HiddenScroll are elements with overflow-x auto or scroll whose content
	// is wider than they are: a sideways scroll inside the page, easy to miss.
	HiddenScroll []string `json:"hiddenScroll"`
	// Clipped are elements with overflow hidden or clip, or text-overflow
	// ellipsis, whose content is larger than their box by more than 1 px:
	// text cut off. Form fields and replaced elements (img, svg, video…)
	// are not counted: they clip their own content by design.
	Clipped []string `json:"clipped"`
	// Broken are elements that must stay on one line (the nowrap selector
	// given to Layout: account numbers, phone numbers) but take two: more
	// than one line box, or taller than 1.6 times their line height.
	Broken []string `json:"broken"`
}

// Problems returns the findings as sentences, one each.
func (l Layout) Problems() []string {
	var out []string
	if l.Overflow > 0 {
		out = append(out, fmt.Sprintf("page %d px wider than the %d px viewport (past the edge: %v)", l.Overflow, l.Width, l.Culprits))
	}
	for _, s := range l.WideTables {
		out = append(out, "table wider than its container: "+s)
	}
	for _, s := range l.HiddenScroll {
		out = append(out, "scrolls sideways inside the page: "+s)
	}
	for _, s := range l.Clipped {
		out = append(out, "text clipped: "+s)
	}
	for _, s := range l.Broken {
		out = append(out, "broken across lines: "+s)
	}
	return out
}

// findingsMax bounds each list of findings (the rest are counted).
const findingsMax = 8

// layoutJS measures the page; its argument is the nowrap selector.
const layoutJS = `(nowrap, max) => {
  const de = document.documentElement, vw = de.clientWidth;
  const out = {width: vw, overflow: Math.max(0, de.scrollWidth - vw), culprits: [], wideTables: [], hiddenScroll: [], clipped: [], broken: []};
  const add = (list, s) => { list.push(s); };
  const cut = list => list.length > max ? list.slice(0, max).concat(['… and ' + (list.length - max) + ' more']) : list;
  const name = e => {
    let s = e.tagName.toLowerCase();
    if (e.id) s += '#' + e.id;
    const cls = typeof e.className === 'string' ? e.className.trim() : '';
    if (cls) s += '.' + cls.split(/\s+/).join('.');
    if (!e.id && e.parentElement && e.parentElement !== document.body) {
      const p = e.parentElement;
      let ps = p.tagName.toLowerCase() + (p.id ? '#' + p.id : '') + (typeof p.className === 'string' && p.className.trim() ? '.' + p.className.trim().split(/\s+/)[0] : '');
      s = ps + ' > ' + s;
    }
    const txt = (e.innerText || e.textContent || '').trim().replace(/\s+/g, ' ');
    return txt ? s + ' "' + (txt.length > 40 ? txt.slice(0, 40) + '…' : txt) + '"' : s;
  };
  const srLike = e => {
    const cs = getComputedStyle(e);
    return (cs.position === 'absolute' || cs.position === 'fixed') && e.offsetWidth <= 1 && e.offsetHeight <= 1 ||
      cs.clip === 'rect(0px, 0px, 0px, 0px)' || cs.clipPath === 'inset(50%)';
  };
  const hidden = e => {
    if (e.closest('.sr, .sr-only, .visually-hidden, .skip, .skip-link, [hidden]')) return true;
    for (let x = e; x && x !== document.body; x = x.parentElement) if (srLike(x)) return true;
    return false;
  };
  const shown = e => e.getClientRects().length > 0 && getComputedStyle(e).visibility !== 'hidden';
  const px = n => Math.round(n * 10) / 10;
  const all = [...document.body.querySelectorAll('*')].filter(e => shown(e) && !hidden(e));

  if (out.overflow > 0) {
    for (const e of all) {
      const r = e.getBoundingClientRect();
      if (r.right <= vw + 0.5) continue;
      const p = e.parentElement;
      if (p === document.body || p.getBoundingClientRect().right <= vw + 0.5) {
        add(out.culprits, name(e) + ' right edge at ' + px(r.right) + ' px');
      }
    }
  }
  for (const t of all.filter(e => e.tagName === 'TABLE')) {
    const r = t.getBoundingClientRect(), p = t.parentElement.getBoundingClientRect();
    if (r.right > p.right + 1) add(out.wideTables, name(t) + ' ' + px(r.width) + ' px wide, ' + px(r.right - p.right) + ' px past ' + name(t.parentElement).split(' "')[0]);
  }
  const own = new Set(['INPUT', 'SELECT', 'OPTION', 'IMG', 'SVG', 'VIDEO', 'AUDIO', 'CANVAS', 'IFRAME', 'OBJECT', 'EMBED', 'PICTURE']);
  for (const e of all) {
    const tag = e.tagName.toUpperCase();
    if (own.has(tag) || e instanceof SVGElement) continue;
    const cs = getComputedStyle(e);
    if ((cs.overflowX === 'auto' || cs.overflowX === 'scroll') && e.scrollWidth > e.clientWidth) {
      add(out.hiddenScroll, name(e) + ' content ' + e.scrollWidth + ' px in ' + e.clientWidth + ' px');
    }
    const clips = ['hidden', 'clip'].includes(cs.overflowX) || ['hidden', 'clip'].includes(cs.overflowY) || cs.textOverflow === 'ellipsis';
    if (clips && tag !== 'TEXTAREA' && (e.scrollWidth > e.clientWidth + 1 || e.scrollHeight > e.clientHeight + 1)) {
      add(out.clipped, name(e) + ' content ' + e.scrollWidth + '×' + e.scrollHeight + ' px in ' + e.clientWidth + '×' + e.clientHeight + ' px');
    }
  }
  if (nowrap) {
    for (const e of all.filter(e => e.matches(nowrap))) {
      const cs = getComputedStyle(e);
      const lh = parseFloat(cs.lineHeight) || 1.2 * parseFloat(cs.fontSize);
      const lines = [...e.getClientRects()].filter(r => r.width > 0 && r.height > 0).length;
      const h = e.getBoundingClientRect().height;
      if (lines > 1 || h > 1.6 * lh) add(out.broken, name(e) + ' ' + lines + ' boxes, ' + px(h) + ' px tall for a ' + px(lh) + ' px line');
    }
  }
  for (const k of ['culprits', 'wideTables', 'hiddenScroll', 'clipped', 'broken']) out[k] = cut(out[k]);
  return JSON.stringify(out);
}`

// Layout measures the page at the current viewport (see [Layout]);
// nowrap selects the elements that must stay on one line ("" for none).
func (b *Browser) Layout(nowrap string) Layout {
	b.t.Helper()
	arg, _ := json.Marshal(nowrap)
	raw := Eval[string](b, fmt.Sprintf("(%s)(%s, %d)", layoutJS, arg, findingsMax))
	var l Layout
	if err := json.Unmarshal([]byte(raw), &l); err != nil {
		b.t.Fatalf("layout: %v", err)
	}
	return l
}

// offOriginJS lists what the page takes from elsewhere: elements that load
// from another origin, resources fetched from one, and fonts embedded as
// data: URLs or loaded from another origin by a style sheet.
const offOriginJS = `(() => {
  const out = [], here = location.origin;
  const foreign = u => { try { const x = new URL(u, location.href); return (x.protocol === 'http:' || x.protocol === 'https:') && x.origin !== here; } catch (e) { return false; } };
  const sel = 'link[href]:not([rel~=alternate]):not([rel~=canonical]), script[src], img[src], img[srcset], source[src], source[srcset], iframe[src], video[src], video[poster], audio[src], object[data], embed[src], track[src], image, use';
  for (const e of document.querySelectorAll(sel)) {
    for (const a of ['href', 'src', 'data', 'poster', 'xlink:href']) {
      const v = e.getAttribute(a);
      if (v && foreign(v)) out.push(e.tagName.toLowerCase() + ' ' + a + '=' + v);
    }
    for (const a of ['srcset']) {
      const v = e.getAttribute(a);
      if (v) for (const part of v.split(',')) { const u = part.trim().split(/\s+/)[0]; if (u && foreign(u)) out.push(e.tagName.toLowerCase() + ' srcset ' + u); }
    }
  }
  for (const r of performance.getEntriesByType('resource')) if (foreign(r.name)) out.push('fetched ' + r.name);
  const fonts = rules => {
    for (const r of rules) {
      if (r instanceof CSSFontFaceRule) {
        const src = r.style.getPropertyValue('src');
        for (const m of src.matchAll(/url\(\s*(['"]?)([^'")]*)\1\s*\)/g)) {
          if (m[2].startsWith('data:')) out.push('@font-face ' + r.style.getPropertyValue('font-family') + ' embedded as a data: URL');
          else if (foreign(m[2])) out.push('@font-face ' + r.style.getPropertyValue('font-family') + ' from ' + m[2]);
        }
      } else if (r.cssRules) fonts(r.cssRules);
    }
  };
  for (const s of document.styleSheets) {
    if (s.href && foreign(s.href)) { out.push('style sheet ' + s.href); continue; }
    try { fonts(s.cssRules); } catch (e) { out.push('unreadable style sheet ' + s.href); }
  }
  return [...new Set(out)];
})()`

// OffOrigin returns what the page takes from anywhere but its own origin
// (see offOriginJS), or nothing. The requests themselves are Traffic's.
func (b *Browser) OffOrigin() []string {
	b.t.Helper()
	return Eval[[]string](b, offOriginJS)
}
