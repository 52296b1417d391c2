package identity

import (
	_ "embed"
	"strings"
	"sync"
)

// commonPasswords is the 30,000 most common passwords, most common first,
// one per line, lower-case. Source: the "passwords" frequency list of the
// zxcvbn npm package, version 4.4.2 (lib/frequency_lists.js, MIT licence,
// Copyright (c) 2012-2016 Dan Wheeler and Dropbox, Inc.), which zxcvbn
// built from Mark Burnett's 10-million-password leak corpus (xato.net).
// Regenerate with:
//
//	npm pack zxcvbn@4.4.2 && tar xzf zxcvbn-4.4.2.tgz
//	node -e 'const f=require("./package/lib/frequency_lists.js");require("fs").writeFileSync("common_passwords.txt",f.passwords.join("\n")+"\n")'
//
// NIST SP 800-63B rev. 4 §3.1.1.2 requires checking new passwords against
// "a blocklist that contains known commonly used, expected, or compromised
// passwords".
//
//go:embed common_passwords.txt
var commonPasswords string

var (
	blocklistOnce sync.Once
	blocklist     map[string]struct{}
)

// isCommonPassword reports whether the NFKC-normalised password, ignoring
// case, is on the shipped blocklist.
func isCommonPassword(pw string) bool {
	blocklistOnce.Do(func() {
		blocklist = make(map[string]struct{}, 30_000)
		for line := range strings.Lines(commonPasswords) {
			if w := strings.TrimSpace(line); w != "" {
				blocklist[strings.ToLower(w)] = struct{}{}
			}
		}
	})
	_, ok := blocklist[strings.ToLower(pw)]
	return ok
}

// BlocklistSize returns the number of passwords on the blocklist.
func BlocklistSize() int {
	isCommonPassword("")
	return len(blocklist)
}
