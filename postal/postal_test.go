package postal

import "testing"

func TestValidState(t *testing.T) {
	for _, tc := range []struct {
		code string
		ok   bool
	}{
		{"OH", true}, {"DC", true}, {"PR", true}, {"GU", true}, {"AE", true},
		{"oh", false}, {"ZZ", false}, {"", false}, {"OHI", false}, {"O", false}, {"XX", false},
	} {
		if got := ValidState(tc.code); got != tc.ok {
			t.Errorf("ValidState(%q) = %v", tc.code, got)
		}
	}
}

func TestValidZIP(t *testing.T) {
	for _, tc := range []struct {
		zip string
		ok  bool
	}{
		{"43215", true}, {"43215-1234", true}, {"00901", true},
		{"4321", false}, {"432155", false}, {"43215 1234", false}, {"43215-123", false}, {"4321a", false}, {"", false},
		{"43215-12345", false}, {"432151234", false}, {"٤٣٢١٥", false},
	} {
		if got := ValidZIP(tc.zip); got != tc.ok {
			t.Errorf("ValidZIP(%q) = %v", tc.zip, got)
		}
	}
}

func TestPrintable(t *testing.T) {
	for _, tc := range []struct {
		s  string
		ok bool
	}{
		{"1200 Peña Blvd Apt 4-B", true}, {"Łódź", false}, {"São Paulo", true}, {"Zoë’s Café — Ste #2", true},
		{"東京", false}, {"Main\tSt", false}, {"Main\x01St", false}, {"Main\u0085St", false}, {"", true},
	} {
		if got := Printable(tc.s); got != tc.ok {
			t.Errorf("Printable(%q) = %v", tc.s, got)
		}
	}
}
