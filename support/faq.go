package support

import (
	"embed"
	"errors"
	"fmt"
	"html/template"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"unicode"

	"golang.org/x/text/runes"
	"golang.org/x/text/transform"
	"golang.org/x/text/unicode/norm"

	"carfin/internal/markdown"
)

// The FAQ is Markdown the lender may edit (the safe subset of package
// markdown): a "#" heading starts a topic, a "##" heading is a question
// and what follows it, up to the next heading of level 1 or 2, is its
// answer. carfin ships one in English and one in Spanish; a lender
// replaces either with faq.en.md / faq.es.md in a directory of its own
// (CARFIN_FAQ_DIR). Search runs on the server, over questions and
// answers, ignoring case and accents.

//go:embed faq/faq.en.md faq/faq.es.md
var defaultFAQ embed.FS

// FAQ limits.
const (
	// faqBytesMax bounds a lender's FAQ file.
	faqBytesMax = 256 << 10
	// SearchBytesMax bounds a search query; searchTermsMax its words.
	SearchBytesMax = 200
	searchTermsMax = 8
)

// FAQLanguages are the FAQ's languages, the first being the fallback.
var FAQLanguages = []string{"en", "es"}

// Topic is a group of questions under a "#" heading ("" before any).
type Topic struct {
	Title     string
	ID        string
	Questions []Question
}

// Question is one question and its answer.
type Question struct {
	// ID is an anchor unique in the FAQ ("q-how-can-i-make-a-payment").
	ID string
	// Title is the question as plain text; TitleHTML with its markup.
	Title     string
	TitleHTML template.HTML
	Answer    template.HTML
	// search is the question and the answer as normalized text.
	searchTitle, searchAll string
}

// FAQ is the FAQ in every language.
type FAQ struct {
	topics map[string][]Topic
}

// ErrFAQ is a FAQ file without questions, too large, or unreadable.
var ErrFAQ = errors.New("invalid FAQ")

// LoadFAQ returns the shipped FAQ, with each language that dir has a
// faq.LANG.md for replaced by the lender's. An empty dir uses only the
// shipped FAQ. Returns ErrFAQ for a dir without any faq.LANG.md, or a file
// that is too large or has no "##" question.
func LoadFAQ(dir string) (*FAQ, error) {
	f := &FAQ{topics: map[string][]Topic{}}
	found := 0
	for _, lang := range FAQLanguages {
		name := "faq." + lang + ".md"
		src, err := fs.ReadFile(defaultFAQ, "faq/"+name)
		if err != nil {
			return nil, err
		}
		if dir != "" {
			b, err := readBounded(filepath.Join(dir, name))
			switch {
			case err == nil:
				src, found = b, found+1
			case !errors.Is(err, fs.ErrNotExist):
				return nil, fmt.Errorf("FAQ %s: %w", filepath.Join(dir, name), err)
			}
		}
		topics, err := ParseFAQ(string(src))
		if err != nil {
			return nil, fmt.Errorf("FAQ %s: %w", name, err)
		}
		f.topics[lang] = topics
	}
	if dir != "" && found == 0 {
		return nil, fmt.Errorf("FAQ directory %s has no faq.en.md or faq.es.md: %w", dir, ErrFAQ)
	}
	return f, nil
}

func readBounded(path string) ([]byte, error) {
	fi, err := os.Stat(path)
	if err != nil {
		return nil, err
	}
	if fi.Size() > faqBytesMax {
		return nil, fmt.Errorf("%d bytes, at most %d: %w", fi.Size(), faqBytesMax, ErrFAQ)
	}
	return os.ReadFile(path)
}

// ParseFAQ splits a FAQ into topics and questions. Returns ErrFAQ when it
// has no question or is over faqBytesMax.
func ParseFAQ(src string) ([]Topic, error) {
	if len(src) > faqBytesMax {
		return nil, fmt.Errorf("%d bytes, at most %d: %w", len(src), faqBytesMax, ErrFAQ)
	}
	var topics []Topic
	ids := map[string]int{}
	unique := func(prefix, title string) string {
		id := prefix + slug(title)
		ids[id]++
		if n := ids[id]; n > 1 {
			id = fmt.Sprintf("%s-%d", id, n)
		}
		return id
	}
	var answer []markdown.Block
	var q *Question
	count := 0
	finish := func() {
		if q == nil {
			return
		}
		q.Answer = markdown.HTML(answer, 2)
		var text strings.Builder
		for _, b := range answer {
			text.WriteString(markdown.PlainText(b.Text) + " ")
			for _, it := range b.Items {
				text.WriteString(markdown.PlainText(it) + " ")
			}
		}
		q.searchTitle = Normalize(q.Title)
		q.searchAll = q.searchTitle + " " + Normalize(text.String())
		t := &topics[len(topics)-1]
		t.Questions = append(t.Questions, *q)
		q, answer = nil, nil
		count++
	}
	for _, b := range markdown.Parse(src) {
		switch {
		case b.Kind == markdown.Heading && b.Level == 1:
			finish()
			title := markdown.PlainText(b.Text)
			topics = append(topics, Topic{Title: title, ID: unique("t-", title)})
		case b.Kind == markdown.Heading && b.Level == 2:
			finish()
			if len(topics) == 0 {
				topics = append(topics, Topic{})
			}
			title := markdown.PlainText(b.Text)
			q = &Question{ID: unique("q-", title), Title: title, TitleHTML: markdown.Inline(b.Text)}
		case q != nil:
			answer = append(answer, b)
		}
	}
	finish()
	if count == 0 {
		return nil, fmt.Errorf("no \"## question\" heading: %w", ErrFAQ)
	}
	// Topics without questions are dropped.
	kept := topics[:0]
	for _, t := range topics {
		if len(t.Questions) > 0 {
			kept = append(kept, t)
		}
	}
	return kept, nil
}

func (f *FAQ) lang(lang string) string {
	if _, ok := f.topics[lang]; ok {
		return lang
	}
	return FAQLanguages[0]
}

// Topics returns the FAQ in lang (English for an unknown one).
func (f *FAQ) Topics(lang string) []Topic { return f.topics[f.lang(lang)] }

// Search returns the questions in lang whose question or answer holds
// every word of query (ignoring case, accents and punctuation), those
// whose question holds them first, in FAQ order. A query over
// SearchBytesMax is cut; only its first searchTermsMax words count. An
// empty query finds nothing.
func (f *FAQ) Search(lang, query string) []Question {
	if len(query) > SearchBytesMax {
		query = strings.ToValidUTF8(query[:SearchBytesMax], "")
	}
	terms := strings.Fields(Normalize(query))
	if len(terms) > searchTermsMax {
		terms = terms[:searchTermsMax]
	}
	if len(terms) == 0 {
		return nil
	}
	has := func(text string) bool {
		for _, t := range terms {
			if !strings.Contains(text, t) {
				return false
			}
		}
		return true
	}
	var inTitle, inAnswer []Question
	for _, t := range f.Topics(lang) {
		for _, q := range t.Questions {
			switch {
			case has(q.searchTitle):
				inTitle = append(inTitle, q)
			case has(q.searchAll):
				inAnswer = append(inAnswer, q)
			}
		}
	}
	return append(inTitle, inAnswer...)
}

// foldAccents returns a fresh transformer each time: a transform.Chain
// keeps state and must not be shared by goroutines (concurrent searches
// and FAQ loads corrupted each other's buffers and panicked).
func foldAccents() transform.Transformer {
	return transform.Chain(norm.NFD, runes.Remove(runes.In(unicode.Mn)), norm.NFC)
}

// Normalize is text as search compares it: lower case, without accents,
// letters and digits only, single spaces.
func Normalize(s string) string {
	out, _, err := transform.String(foldAccents(), s)
	if err != nil {
		out = s
	}
	out = strings.Map(func(r rune) rune {
		if unicode.IsLetter(r) || unicode.IsDigit(r) {
			return unicode.ToLower(r)
		}
		return ' '
	}, out)
	return strings.Join(strings.Fields(out), " ")
}

// slugRunesMax bounds anchors.
const slugRunesMax = 60

func slug(title string) string {
	s := strings.ReplaceAll(Normalize(title), " ", "-")
	if r := []rune(s); len(r) > slugRunesMax {
		s = strings.TrimRight(string(r[:slugRunesMax]), "-")
	}
	if s == "" {
		s = "x"
	}
	return s
}
