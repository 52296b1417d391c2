package colour

import "testing"

func TestContrast(t *testing.T) {
	for _, tc := range []struct {
		name     string
		a, b     string
		min, max float64
	}{
		{"black on white", "#000000", "#ffffff", 20.99, 21.01},
		{"same colour", "#0b5394", "#0b5394", 1, 1.0001},
		{"WebAIM grey #767676 just passes", "#767676", "#ffffff", 4.54, 4.55},
		{"#777777 just fails", "#777777", "#ffffff", 4.47, 4.49},
		{"the demo blue", "#0b5394", "#ffffff", 7.5, 8.0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			a, err := Parse(tc.a)
			if err != nil {
				t.Fatal(err)
			}
			b, _ := Parse(tc.b)
			if c := Contrast(a, b); c < tc.min || c > tc.max {
				t.Errorf("contrast %s/%s = %.3f, want %.2f–%.2f", tc.a, tc.b, c, tc.min, tc.max)
			}
			if Contrast(a, b) != Contrast(b, a) {
				t.Error("contrast is not symmetric")
			}
		})
	}
}

func TestParse(t *testing.T) {
	for _, s := range []string{"", "#fff", "0b5394", "#0b539", "#0b53944", "#gg0000", "red", "#-12345"} {
		if _, err := Parse(s); err == nil {
			t.Errorf("Parse(%q) accepted", s)
		}
	}
	c, err := Parse("#0B5394")
	if err != nil || c != (RGB{11, 83, 148}) || c.Hex() != "#0b5394" {
		t.Errorf("Parse = %v %v %s", c, err, c.Hex())
	}
}

// Every colour darkens to one that passes, and a passing colour is kept.
func TestDarkenPasses(t *testing.T) {
	for r := 0; r < 256; r += 15 {
		for g := 0; g < 256; g += 15 {
			for b := 0; b < 256; b += 15 {
				c := RGB{r, g, b}
				d, steps := Darken(c, White, TextContrastMin)
				if Contrast(d, White) < TextContrastMin {
					t.Fatalf("Darken(%v) = %v has contrast %.2f", c, d, Contrast(d, White))
				}
				if Contrast(c, White) >= TextContrastMin && (steps != 0 || d != c) {
					t.Fatalf("Darken changed passing %v to %v", c, d)
				}
				if text := BestText(c, c); Contrast(text, c) < TextContrastMin {
					t.Fatalf("BestText on %v: %.2f", c, Contrast(text, c))
				}
			}
		}
	}
}

func TestMix(t *testing.T) {
	if m := Mix(RGB{0, 0, 0}, White, 50); m != (RGB{128, 128, 128}) {
		t.Errorf("Mix = %v", m)
	}
	if m := Mix(RGB{10, 20, 30}, White, 0); m != (RGB{10, 20, 30}) {
		t.Errorf("Mix 0 = %v", m)
	}
}
