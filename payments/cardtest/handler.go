package cardtest

import (
	"encoding/json"
	"errors"
	"html/template"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
)

// requestBytesMax bounds a tokenization request.
const requestBytesMax = 8 << 10

// Handler is the test processor's tokenizer, the part of a processor a
// card form talks to directly so that the card number never reaches
// carfin:
//
//	GET  /       a card form (for trying the processor by hand); with
//	             ?redirect_uri=URL it posts back to URL like a hosted page
//	POST /tokens form or JSON {number, exp_month, exp_year, cvc, name,
//	             postal}. JSON callers get {token, brand, last4,
//	             exp_month, exp_year, funding} (200) or {error: {code,
//	             message}} (402). A form post with redirect_uri is
//	             answered 303 to redirect_uri?card_token=… (or
//	             ?card_error=code).
//
// allowedOrigins are the portal origins ("https://portal.lender.example")
// allowed to call it from a browser (CORS) and to be redirected to.
type Handler struct {
	p       *Processor
	origins []string
}

// NewHandler returns the tokenizer of p for the given portal origins.
func NewHandler(p *Processor, allowedOrigins ...string) *Handler {
	return &Handler{p: p, origins: allowedOrigins}
}

var formPage = template.Must(template.New("form").Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Test card processor</title>
<style>body{font:16px system-ui,sans-serif;max-width:28rem;margin:2rem auto;padding:0 1rem}label{display:block;margin:.8rem 0 .2rem}
input{font:inherit;padding:.4rem;width:100%;box-sizing:border-box}.row{display:flex;gap:.5rem}button{margin-top:1rem;font:inherit;padding:.5rem 1rem}
p.note{color:#555;font-size:.9rem}</style></head>
<body><h1>Card details</h1>
<p class="note">Test processor: no money moves. Use 4242 4242 4242 4242 to approve, 4000 0000 0000 0002 to decline.</p>
<form method="post" action="tokens" autocomplete="on">
<input type="hidden" name="redirect_uri" value="{{.Redirect}}">
<label for="number">Card number</label><input id="number" name="number" inputmode="numeric" autocomplete="cc-number" required>
<div class="row"><div><label for="exp_month">Month</label><input id="exp_month" name="exp_month" inputmode="numeric" autocomplete="cc-exp-month" required></div>
<div><label for="exp_year">Year</label><input id="exp_year" name="exp_year" inputmode="numeric" autocomplete="cc-exp-year" required></div>
<div><label for="cvc">Security code</label><input id="cvc" name="cvc" inputmode="numeric" autocomplete="cc-csc" required></div></div>
<label for="name">Name on card</label><input id="name" name="name" autocomplete="cc-name">
<label for="postal">ZIP code</label><input id="postal" name="postal" autocomplete="postal-code">
<button type="submit">Save card</button>
</form></body></html>`))

func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	switch {
	case r.Method == http.MethodGet && (r.URL.Path == "/" || r.URL.Path == ""):
		redirect := r.URL.Query().Get("redirect_uri")
		if redirect != "" && !h.allowedRedirect(redirect) {
			http.Error(w, "redirect_uri is not an allowed portal address", http.StatusBadRequest)
			return
		}
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Header().Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'self'")
		_ = formPage.Execute(w, struct{ Redirect string }{redirect})
	case r.URL.Path == "/tokens" && r.Method == http.MethodOptions:
		h.cors(w, r)
		w.WriteHeader(http.StatusNoContent)
	case r.URL.Path == "/tokens" && r.Method == http.MethodPost:
		h.tokenize(w, r)
	default:
		http.NotFound(w, r)
	}
}

// cors allows the configured portal origins to call /tokens.
func (h *Handler) cors(w http.ResponseWriter, r *http.Request) {
	if o := r.Header.Get("Origin"); o != "" && slices.Contains(h.origins, o) {
		w.Header().Set("Access-Control-Allow-Origin", o)
		w.Header().Set("Access-Control-Allow-Methods", "POST")
		w.Header().Set("Access-Control-Allow-Headers", "Content-Type")
		w.Header().Set("Vary", "Origin")
	}
}

// allowedRedirect accepts only URLs on an allowed portal origin.
func (h *Handler) allowedRedirect(raw string) bool {
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || u.User != nil {
		return false
	}
	return slices.Contains(h.origins, u.Scheme+"://"+u.Host)
}

type tokenRequest struct {
	Number   string `json:"number"`
	ExpMonth string `json:"exp_month"`
	ExpYear  string `json:"exp_year"`
	CVC      string `json:"cvc"`
	Name     string `json:"name"`
	Postal   string `json:"postal"`
}

type tokenError struct {
	Code    string `json:"code"`
	Message string `json:"message"`
}

func (h *Handler) tokenize(w http.ResponseWriter, r *http.Request) {
	h.cors(w, r)
	r.Body = http.MaxBytesReader(w, r.Body, requestBytesMax)
	var req tokenRequest
	isJSON := strings.HasPrefix(r.Header.Get("Content-Type"), "application/json")
	redirect := ""
	if isJSON {
		if err := json.NewDecoder(r.Body).Decode(&req); err != nil {
			writeJSON(w, http.StatusBadRequest, map[string]tokenError{"error": {"invalid_request", "the request is not JSON"}})
			return
		}
	} else {
		if err := r.ParseForm(); err != nil {
			http.Error(w, "bad form", http.StatusBadRequest)
			return
		}
		req = tokenRequest{Number: r.PostForm.Get("number"), ExpMonth: r.PostForm.Get("exp_month"), ExpYear: r.PostForm.Get("exp_year"),
			CVC: r.PostForm.Get("cvc"), Name: r.PostForm.Get("name"), Postal: r.PostForm.Get("postal")}
		redirect = r.PostForm.Get("redirect_uri")
		if redirect != "" && !h.allowedRedirect(redirect) {
			http.Error(w, "redirect_uri is not an allowed portal address", http.StatusBadRequest)
			return
		}
	}
	m, _ := strconv.Atoi(strings.TrimSpace(req.ExpMonth))
	y, _ := strconv.Atoi(strings.TrimSpace(req.ExpYear))
	card, err := h.p.Tokenize(Card{Number: req.Number, ExpMonth: m, ExpYear: y, CVC: strings.TrimSpace(req.CVC), Name: req.Name, Postal: req.Postal})
	code := ""
	switch {
	case errors.Is(err, ErrNumber), errors.Is(err, ErrUnknown):
		code = "invalid_number"
	case errors.Is(err, ErrExpiry):
		code = "invalid_expiry"
	case errors.Is(err, ErrCVC):
		code = "invalid_cvc"
	}
	if redirect != "" {
		u, _ := url.Parse(redirect)
		q := u.Query()
		if err != nil {
			q.Set("card_error", code)
		} else {
			q.Set("card_token", card.Token)
		}
		u.RawQuery = q.Encode()
		http.Redirect(w, r, u.String(), http.StatusSeeOther)
		return
	}
	if err != nil {
		writeJSON(w, http.StatusPaymentRequired, map[string]tokenError{"error": {code, err.Error()}})
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"token": card.Token, "brand": card.Brand, "last4": card.Last4,
		"exp_month": card.ExpMonth, "exp_year": card.ExpYear, "funding": card.Funding})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}
