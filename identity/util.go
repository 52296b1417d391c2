package identity

import "unicode/utf8"

func runeLen(pw string) int { return utf8.RuneCountInString(NormalizePassword(pw)) }
