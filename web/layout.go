package web

import (
	"bytes"
	"maps"
	"slices"

	"carfin/webcore"
)

// layoutTexts are the layout's words in one language, translated once.
type layoutTexts struct {
	description, skip, otherLang, signout, menu, menuLabel, help, navLabel, errSummary string
	// idleTexts is the idle warning's words, as JSON (page.IdleTexts).
	idleTexts string
}

func (v *views) layoutTexts(lang string) layoutTexts {
	p := &page{v: v, Lang: lang, Brand: v.cfg.Brand}
	return layoutTexts{description: p.T("ui.description", v.cfg.Brand.Name), skip: p.T("nav.skip"),
		otherLang: p.T("nav.other_lang"), signout: p.T("nav.signout"), menu: p.T("ui.menu"), menuLabel: p.T("ui.menu_label"),
		help: p.T("nav.help"), navLabel: p.T("nav.label"), errSummary: p.T("err.summary"), idleTexts: p.IdleTexts()}
}

// writeLayout writes templates/layout.html around the content that
// content writes, as executing that template would (TestFastPagesMatch
// holds them equal: change both together).
func (v *views) writeLayout(b *bytes.Buffer, p *page, content func(htmlOut) error) error {
	o := htmlOut{b}
	lt := v.chrome[p.Lang].texts
	brand := &p.Brand
	o.raw("<!doctype html>\n<html lang=\"")
	o.text(p.Lang)
	o.raw("\">\n<head>\n<meta charset=\"utf-8\">\n<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n<meta name=\"theme-color\" content=\"")
	o.text(brand.Primary)
	o.raw("\">\n<title>")
	o.text(p.T(p.Title))
	o.raw(" · ")
	o.text(brand.Name)
	o.raw("</title>\n<meta name=\"description\" content=\"")
	o.text(lt.description)
	o.raw("\">\n<link rel=\"icon\" href=\"/favicon.svg\" type=\"image/svg+xml\">\n<link rel=\"stylesheet\" href=\"/static/app.css\">\n<link rel=\"stylesheet\" href=\"/theme.css\">\n<script src=\"/static/app.js\" nonce=\"")
	o.text(p.Nonce)
	o.raw("\" defer></script>\n</head>\n<body")
	if p.Session != nil {
		o.raw(" data-idle-check=\"")
		o.int(int64(p.IdleCheck()))
		o.raw("\" data-idle-texts=\"")
		o.text(lt.idleTexts)
		o.raw("\"")
	}
	o.raw(">\n<a class=\"skip\" href=\"#main\">")
	o.text(lt.skip)
	o.raw("</a>\n<header class=\"top\">\n<div class=\"wrap top-bar\">\n<a class=\"brand\" href=\"/\">")
	if p.HasLogo() {
		o.raw("<img src=\"/logo\" alt=\"")
		o.text(brand.Name)
		o.raw("\" height=\"40\">")
	} else {
		o.raw("<span class=\"monogram\" aria-hidden=\"true\">")
		o.text(brand.Initials())
		o.raw("</span><span class=\"wordmark\">")
		o.text(brand.Name)
		o.raw("</span>")
	}
	o.raw("</a>\n<div class=\"top-actions\">")
	langForm := func(class string) {
		o.raw("\n<form method=\"post\" action=\"/lang\"")
		o.raw(class)
		o.raw("><input type=\"hidden\" name=\"lang\" value=\"")
		o.text(p.OtherLang())
		o.raw("\"><input type=\"hidden\" name=\"next\" value=\"")
		o.text(p.Path)
		o.raw("\"><button type=\"submit\" lang=\"")
		o.text(p.OtherLang())
		o.raw("\">")
		o.html(webcore.Icon("globe"))
		o.text(lt.otherLang)
		o.raw("</button></form>")
	}
	signOut := func(class string) {
		o.raw("\n<form method=\"post\" action=\"/logout\"")
		o.raw(class)
		o.raw("><button type=\"submit\" class=\"signout\">")
		o.html(webcore.Icon("log-out"))
		o.text(lt.signout)
		o.raw("</button></form>")
	}
	if p.Session != nil {
		langForm(" class=\"only-wide\"")
		signOut(" class=\"only-wide\"")
		o.raw("\n<details class=\"menu only-narrow\">\n<summary>")
		o.html(webcore.Icon("menu"))
		o.text(lt.menu)
		o.raw("</summary>\n<div class=\"menu-panel\">\n<nav aria-label=\"")
		o.text(lt.menuLabel)
		o.raw("\"><ul>")
		o.html(p.NavItems())
		o.raw("</ul></nav>")
		langForm("")
		signOut("")
		o.raw("\n</div>\n</details>")
	} else {
		o.raw("\n<a class=\"top-link\" href=\"/faq\">")
		o.html(webcore.Icon("circle-help"))
		o.raw("<span>")
		o.text(lt.help)
		o.raw("</span></a>")
		langForm("")
	}
	o.raw("\n</div>\n</div>")
	if p.Session != nil {
		o.raw("\n<nav class=\"nav-primary only-wide\" aria-label=\"")
		o.text(lt.navLabel)
		o.raw("\"><div class=\"wrap\"><ul>")
		o.html(p.NavItems())
		o.raw("</ul></div></nav>")
	}
	o.raw("\n</header>\n<main id=\"main\" tabindex=\"-1\">\n<div class=\"wrap")
	if p.Narrow {
		o.raw(" auth")
	}
	o.raw("\">")
	if p.Notice != "" {
		o.raw("\n<p class=\"notice\" role=\"status\">")
		o.html(webcore.Icon("circle-check"))
		o.raw("<span>")
		o.text(p.T(p.Notice))
		o.raw("</span></p>")
	}
	if len(p.Errors) > 0 {
		o.raw("\n<div class=\"error-summary\" role=\"alert\">\n<h2>")
		o.text(lt.errSummary)
		o.raw("</h2>\n<ul>")
		// html/template ranges over a map in key order.
		for _, field := range slices.Sorted(maps.Keys(p.Errors)) {
			o.raw("\n<li>")
			if field != "" {
				o.raw("<a href=\"#")
				o.fragment(field)
				o.raw("\">")
				o.text(p.T(p.Errors[field]))
				o.raw("</a>")
			} else {
				o.text(p.T(p.Errors[field]))
			}
			o.raw("</li>")
		}
		o.raw("\n</ul>\n</div>")
	}
	o.raw("\n")
	if err := content(o); err != nil {
		return err
	}
	o.raw("\n</div>\n</main>\n<footer>\n")
	o.html(p.Footer())
	o.raw("\n</footer>\n</body>\n</html>\n")
	return nil
}
