package web

import (
	"net/http"
	"regexp"
)

// paymentRoutes is the payments area of the portal (issue 6): payment
// methods (bank accounts validated by micro-deposits or a prenote, cards
// through the processor's tokenizer), the one-time payment flow (contract
// → amount, method, date → review → confirm → confirmation with a receipt
// PDF), scheduled payments with their changes and cancellations, the
// payment history, and autopay with its Regulation E authorization and
// the reminder setting. Every id in a path is looked up within the
// signed-in customer's own contracts, methods and payments (package
// payments scopes each query by the customer): another customer's is
// "not found", exactly like one that does not exist. Adding or removing a
// payment method needs a password check within the last five minutes.
func (s *Server) paymentRoutes(mux *http.ServeMux, auth func(http.Handler) http.Handler) {
	id, sv, pay, pr, v, now := s.id, s.caps.Servicing, s.caps.Payments, s.caps.Profile, s.v, s.db.Now
	cards := cardForm{tokenizer: s.cfg.CardTokenizer, returnURL: s.cfg.BaseURL + "/payment-methods/card/new"}

	// One-time payments.
	mux.Handle("GET /pay", auth(handlePayChoose(sv, v)))
	mux.Handle("GET /contracts/{id}/pay", auth(handlePaymentNew(pay, v, now)))
	mux.Handle("GET /contracts/{id}/pay/review", auth(handlePaymentReview(pay, v, now)))
	mux.Handle("POST /contracts/{id}/pay", auth(handlePaymentCreate(pay, v, now)))

	// Scheduled payments and the history.
	mux.Handle("GET /payments", auth(handlePaymentsList(sv, pay, v, now)))
	mux.Handle("GET /payments/{conf}", auth(handlePaymentShow(pay, v, now)))
	mux.Handle("GET /payments/{conf}/receipt.pdf", auth(handlePaymentReceipt(pay, v)))
	mux.Handle("GET /payments/{conf}/edit", auth(handlePaymentEditShow(pay, v, now)))
	mux.Handle("POST /payments/{conf}/edit", auth(handlePaymentEdit(pay, v, now)))
	mux.Handle("GET /payments/{conf}/cancel", auth(handlePaymentCancelShow(pay, v, now)))
	mux.Handle("POST /payments/{conf}/cancel", auth(handlePaymentCancel(pay, v)))

	// Payment methods.
	mux.Handle("GET /payment-methods", auth(handleMethodsList(pay, v, cards, now)))
	mux.Handle("GET /payment-methods/bank/new", auth(handleMethodBankNew(id, pay, v)))
	mux.Handle("POST /payment-methods/bank", auth(handleMethodBankCreate(id, pay, v)))
	mux.Handle("GET /payment-methods/card/new", auth(handleMethodCardNew(id, pay, v, cards, now)))
	mux.Handle("POST /payment-methods/card", auth(handleMethodCardCreate(id, pay, v, cards, now)))
	mux.Handle("GET /payment-methods/{id}/verify", auth(handleMethodVerifyShow(pay, v)))
	mux.Handle("POST /payment-methods/{id}/verify", auth(handleMethodVerify(pay, v)))
	mux.Handle("GET /payment-methods/{id}/remove", auth(handleMethodRemoveShow(id, pay, v)))
	mux.Handle("POST /payment-methods/{id}/remove", auth(handleMethodRemove(id, pay, v)))

	// Autopay.
	mux.Handle("GET /contracts/{id}/autopay", auth(handleAutopayShow(sv, pay, pr, v, now)))
	mux.Handle("GET /contracts/{id}/autopay/change", auth(handleAutopayChangeShow(sv, pay, pr, v, now)))
	mux.Handle("GET /contracts/{id}/autopay/review", auth(handleAutopayReview(sv, pay, pr, v, now)))
	mux.Handle("POST /contracts/{id}/autopay", auth(handleAutopayEnrol(sv, pay, pr, v, now)))
	mux.Handle("POST /contracts/{id}/autopay/change", auth(handleAutopayChange(sv, pay, pr, v, now)))
	mux.Handle("GET /contracts/{id}/autopay/stop", auth(handleAutopayStopShow(sv, pay, pr, v, now)))
	mux.Handle("POST /contracts/{id}/autopay/stop", auth(handleAutopayStop(sv, pay, v)))
	mux.Handle("POST /autopay/reminders", auth(handleAutopayReminders(pr, v)))
}

// confPattern is a confirmation number as it appears in paths.
var confPattern = regexp.MustCompile(`^[Pp][0-9A-Za-z]{8}$`)
