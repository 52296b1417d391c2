package console

import (
	"net/http"

	"carfin/support"
)

// queueData is the message queue's page: the scope shown and its threads.
type queueData struct {
	Scope  string
	Scopes []queueScope
	Items  []support.QueueItem
}

// queueScope is a tab of the queue.
type queueScope struct{ Value, Label string }

var queueScopes = []queueScope{{support.ScopeAll, "All open"}, {support.ScopeMine, "Mine"}, {support.ScopeUnassigned, "Unassigned"}}

// handleMessageQueue is the shared queue of open secure messages: those
// awaiting a reply first, the longest wait first, then the others; a tab
// for all, the member's own, and the unassigned. An unknown scope shows
// all.
func handleMessageQueue(sup *support.Service, v *views) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		scope := r.URL.Query().Get("scope")
		switch scope {
		case support.ScopeMine, support.ScopeUnassigned:
		default:
			scope = support.ScopeAll
		}
		items, err := sup.Queue(r.Context(), support.QueueFilter{Scope: scope, StaffLoginID: memberOf(r).LoginID})
		if err != nil {
			v.serverError(w, r, err)
			return
		}
		p := v.page(r, "Messages")
		p.Data = queueData{Scope: scope, Scopes: queueScopes, Items: items}
		v.render(w, http.StatusOK, "messages", p)
	})
}
