package support_test

import (
	"slices"
	"strings"
	"testing"

	"carfin/support"
)

// TestFAQCoverage: the shipped FAQ answers what auto-finance customers
// ask, about thirty questions under topic headings, the same in English
// and Spanish, and names no lender (the portal's brand does): "we" and
// "us" throughout.
func TestFAQCoverage(t *testing.T) {
	f, err := support.LoadFAQ("")
	if err != nil {
		t.Fatal(err)
	}
	count := func(lang string) (topics, questions int) {
		for _, tp := range f.Topics(lang) {
			if tp.Title == "" {
				t.Errorf("%s: questions before any topic heading", lang)
			}
			topics++
			questions += len(tp.Questions)
		}
		return topics, questions
	}
	enT, enQ := count("en")
	esT, esQ := count("es")
	if enQ < 30 || enT < 8 || enT != esT || enQ != esQ {
		t.Errorf("English %d topics and %d questions, Spanish %d and %d", enT, enQ, esT, esQ)
	}
	for i, tp := range f.Topics("en") {
		if n, m := len(tp.Questions), len(f.Topics("es")[i].Questions); n != m {
			t.Errorf("topic %q has %d questions in English, %d in Spanish", tp.Title, n, m)
		}
	}
	// What customers ask about, each found by a search in each language.
	for _, tc := range []struct{ en, es, topic string }{
		{"payoff quote", "cotizacion liquidacion", "payoff"},
		{"title lien", "titulo gravamen", "title and lien release"},
		{"another state", "otro estado", "out-of-state title"},
		{"sell trade", "vender cambiar", "selling or trading in"},
		{"dealer", "concesionario", "a dealer's payoff"},
		{"10-day payoff", "liquidacion 10 dias", "10-day payoff"},
		{"lease end options", "opciones arrendamiento", "lease-end options"},
		{"buy leased", "compro arrendado", "lease buyout"},
		{"inspection", "inspeccion", "turn-in inspection"},
		{"excess mileage wear", "millaje excedente desgaste", "mileage and wear charges"},
		{"insurance", "seguro", "insurance requirements"},
		{"loss payee", "beneficiario", "loss payee"},
		{"totaled GAP", "perdida total GAP", "total loss and GAP"},
		{"moved name", "mude nombre", "moving or a new name"},
		{"change due date", "cambiar fecha vencimiento", "changing the due date"},
		{"grace period", "periodo de gracia", "grace period"},
		{"late fee", "cargo tardio", "late fees"},
		{"set up autopay", "activo pago automatico", "autopay set-up"},
		{"stop autopay", "detengo pago automatico", "changing or stopping autopay"},
		{"autopay taken", "pago automatico cobra", "autopay timing"},
		{"returned payment", "devuelven pago", "returned payments"},
		{"deferral extension", "aplazamiento extension", "hardship"},
		{"trouble payments", "problemas pagos", "hardship contact"},
		{"statements", "estados de cuenta", "statements"},
		{"paperless", "sin papel", "paperless"},
		{"1098-VLI", "1098-VLI", "the year-end interest form"},
		{"phishing password", "phishing contrasena", "phishing"},
		{"someone got into my account", "alguien entro en mi cuenta", "a break-in"},
		{"credit bureaus", "agencias de credito", "credit reporting"},
		{"dispute credit report", "disputo informe de credito", "credit disputes"},
	} {
		for lang, q := range map[string]string{"en": tc.en, "es": tc.es} {
			if r := f.Search(lang, q); len(r) == 0 {
				t.Errorf("%s: nothing about %s for %q", lang, tc.topic, q)
			}
		}
	}
	for _, lang := range support.FAQLanguages {
		for _, tp := range f.Topics(lang) {
			for _, q := range tp.Questions {
				text := q.Title + " " + string(q.Answer)
				for _, name := range []string{"Northwind", "Experian", "Equifax", "TransUnion", "Carvana", "CarMax", "Ally", "Toyota", "Honda", "Ford"} {
					if strings.Contains(text, name) {
						t.Errorf("%s %q names %s: the FAQ is white-label", lang, q.Title, name)
					}
				}
			}
		}
	}
}

// TestFAQSearch: search ignores case, accents and punctuation in both
// directions ("vehiculo" finds "vehículo", and "VEHÍCULO" finds the same),
// wants every word, and lists questions whose title matches before those
// whose answer does.
func TestFAQSearch(t *testing.T) {
	f, err := support.LoadFAQ("")
	if err != nil {
		t.Fatal(err)
	}
	titles := func(qs []support.Question) []string {
		var out []string
		for _, q := range qs {
			out = append(out, q.Title)
		}
		return out
	}
	for _, tc := range []struct {
		name, lang, query string
		first             string // the first result's title, "" for none
		sameAs            string // a query that must give the same results
		min               int
	}{
		{"accents in the text, none in the query", "es", "vehiculo", "¿Qué es la liberación del gravamen y qué pasa si mi vehículo está titulado en otro estado?", "vehículo", 5},
		{"capitals and accents in the query", "es", "VEHÍCULO", "¿Qué es la liberación del gravamen y qué pasa si mi vehículo está titulado en otro estado?", "vehiculo", 5},
		{"ñ", "es", "contrasena", "", "contraseña", 2},
		{"question mark and accents", "es", "¿Qué es una liquidación a 10 días?", "¿Qué es una liquidación a 10 días?", "que es una liquidacion a 10 dias", 1},
		{"every word must match", "es", "vehiculo cebra", "", "", 0},
		{"English, case", "en", "PAYOFF quote", "How do I get a payoff quote?", "payoff QUOTE", 3},
		{"hyphen", "en", "1098-VLI", "Will I get a year-end statement of the interest I paid?", "1098 vli", 1},
		{"title before answer", "en", "GAP", "My vehicle was totaled or stolen. What happens now?", "gap", 1},
		{"English has no accents to fold", "en", "lien", "What is a lien release, and what if my vehicle is titled in another state?", "LIEN", 3},
		{"Spanish search of an English word", "es", "loss payee", "¿Qué es el beneficiario de la póliza (loss payee) y cómo los incluyo a ustedes?", "", 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := f.Search(tc.lang, tc.query)
			got := titles(r)
			if len(r) < tc.min || (tc.min == 0 && len(r) != 0) {
				t.Fatalf("%q: %d results %q, want at least %d", tc.query, len(r), got, tc.min)
			}
			if tc.first != "" && got[0] != tc.first {
				t.Errorf("%q: first %q, want %q", tc.query, got[0], tc.first)
			}
			if tc.sameAs != "" && !slices.Equal(got, titles(f.Search(tc.lang, tc.sameAs))) {
				t.Errorf("%q and %q differ: %q, %q", tc.query, tc.sameAs, got, titles(f.Search(tc.lang, tc.sameAs)))
			}
		})
	}
}
