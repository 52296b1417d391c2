package quotes

// LetterTexts exposes the letters' words to the tests.
func LetterTexts(lang string) map[string]string { return letterTexts[lang] }
