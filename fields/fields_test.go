package fields

import "testing"

func TestErrorsMessage(t *testing.T) {
	e := Errors{"zip": Invalid, "city": Required}
	if got := e.Error(); got != "invalid fields: city required, zip invalid" {
		t.Errorf("Error() = %q", got)
	}
}
