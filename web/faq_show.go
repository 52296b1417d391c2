package web

import (
	"net/http"
	"strings"

	"carfin/support"
)

// faqData is what the FAQ page shows: every topic, or the results of a
// search.
type faqData struct {
	Topics   []support.Topic
	Query    string
	Searched bool
	Results  []support.Question
}

// handleFAQShow shows the FAQ in the page's language; ?q= searches its
// questions and answers on the server (no script needed). Open to everyone.
func handleFAQShow(faq *support.FAQ, v *views) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p := v.page(r, "faq.title")
		p.Session = sessionOf(r)
		lang := p.Lang
		q := strings.TrimSpace(r.URL.Query().Get("q"))
		if len(q) > support.SearchBytesMax {
			q = strings.ToValidUTF8(q[:support.SearchBytesMax], "")
		}
		d := faqData{Topics: faq.Topics(lang), Query: q, Searched: q != ""}
		if d.Searched {
			d.Results = faq.Search(lang, q)
		}
		p.Form["q"] = q
		p.Data = d
		v.render(w, http.StatusOK, "faq", p)
	})
}
