package db

// MigrationText returns a migration file's text as engine e runs it: its
// sections for the other engine dropped and the type tokens replaced.
func MigrationText(src string, e Engine) string { return dialectTokens[e].Replace(keepEngine(src, e)) }
