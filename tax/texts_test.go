package tax

import "testing"

// TestTextKeys: both languages have every text.
func TestTextKeys(t *testing.T) {
	for key := range statementTexts["en"] {
		if _, ok := statementTexts["es"][key]; !ok {
			t.Errorf("es lacks %q", key)
		}
	}
	if len(statementTexts["en"]) != len(statementTexts["es"]) {
		t.Errorf("en has %d texts, es %d", len(statementTexts["en"]), len(statementTexts["es"]))
	}
}
