// Package colour checks a lender's brand colours against WCAG 2 before
// they reach a page or a statement: the relative luminance and contrast
// ratio of WCAG 2 §1.4.3, the text colour that reads best on a
// background, and the nearest darker shade that passes.
package colour

import (
	"fmt"
	"math"
	"strconv"
)

// RGB is an sRGB colour, each channel 0–255.
type RGB struct{ R, G, B int }

// Common colours.
var (
	White = RGB{255, 255, 255}
	Black = RGB{0, 0, 0}
	Ink   = RGB{26, 29, 33} // the portal's body text, near-black
)

// TextContrastMin is WCAG 2 AA's contrast for normal text (1.4.3);
// UIContrastMin is for borders, focus rings and icons (1.4.11).
const (
	TextContrastMin = 4.5
	UIContrastMin   = 3.0
)

// Parse reads "#rrggbb". Returns an error for anything else.
func Parse(s string) (RGB, error) {
	if len(s) != 7 || s[0] != '#' {
		return RGB{}, fmt.Errorf("colour %q: want #rrggbb", s)
	}
	v, err := strconv.ParseUint(s[1:], 16, 32)
	if err != nil {
		return RGB{}, fmt.Errorf("colour %q: want #rrggbb", s)
	}
	return RGB{int(v >> 16 & 0xff), int(v >> 8 & 0xff), int(v & 0xff)}, nil
}

// Hex is c as "#rrggbb".
func (c RGB) Hex() string { return fmt.Sprintf("#%02x%02x%02x", c.R, c.G, c.B) }

// Luminance is the WCAG 2 relative luminance of c, 0 to 1.
func (c RGB) Luminance() float64 {
	lin := func(v int) float64 {
		x := float64(v) / 255
		if x <= 0.04045 {
			return x / 12.92
		}
		return math.Pow((x+0.055)/1.055, 2.4)
	}
	return 0.2126*lin(c.R) + 0.7152*lin(c.G) + 0.0722*lin(c.B)
}

// Contrast is the WCAG 2 contrast ratio of two colours, 1 to 21.
func Contrast(a, b RGB) float64 {
	la, lb := a.Luminance(), b.Luminance()
	if la < lb {
		la, lb = lb, la
	}
	return (la + 0.05) / (lb + 0.05)
}

// BestText is whichever of pref, white, near-black and black reads best
// on bg. One of white and black always reaches 4.5:1 on any colour.
func BestText(bg, pref RGB) RGB {
	best := pref
	for _, c := range []RGB{White, Ink, Black} {
		if Contrast(c, bg) > Contrast(best, bg) {
			best = c
		}
	}
	return best
}

// Darken returns c scaled towards black in steps of 1/64 until it has
// min contrast against bg, and the number of steps taken (0 when c already
// passes). Black passes against any light bg, so it always ends.
func Darken(c, bg RGB, min float64) (RGB, int) {
	for step := 0; step <= 64; step++ {
		d := RGB{c.R * (64 - step) / 64, c.G * (64 - step) / 64, c.B * (64 - step) / 64}
		if Contrast(d, bg) >= min {
			return d, step
		}
	}
	return RGB{}, 64
}

// Mix is a blend of c with w (weight out of 100 for w): tints for
// backgrounds ("the brand at 10 % on white").
func Mix(c, w RGB, weight int) RGB {
	f := func(a, b int) int { return (a*(100-weight) + b*weight + 50) / 100 }
	return RGB{f(c.R, w.R), f(c.G, w.G), f(c.B, w.B)}
}
