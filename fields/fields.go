// Package fields is the error of bad input in a form or an API call: each
// refused field with why. Capabilities return it before writing anything;
// the web maps each reason to words in the page's language.
package fields

import (
	"sort"
	"strings"
)

// Reasons a field is refused.
const (
	Required  = "required"
	TooLong   = "too_long"
	TooLarge  = "too_large"
	TooMany   = "too_many"
	Invalid   = "invalid"
	WrongType = "wrong_type"
)

// Errors maps a field name to why it was refused (one of the reasons
// above). It is the error of bad input: nothing was written.
type Errors map[string]string

func (e Errors) Error() string {
	keys := make([]string, 0, len(e))
	for k, v := range e {
		keys = append(keys, k+" "+v)
	}
	sort.Strings(keys)
	return "invalid fields: " + strings.Join(keys, ", ")
}
