package browsertest

import "github.com/chromedp/chromedp"

// Upload chooses files (paths on disk) in the file input matched by sel,
// as a person picking them in the file dialog would.
func (b *Browser) Upload(sel string, paths ...string) {
	b.t.Helper()
	b.step("choose files in "+sel, chromedp.WaitReady(chromedp.CSS(sel)), chromedp.SetUploadFiles(chromedp.CSS(sel), paths))
}
