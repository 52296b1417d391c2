package statements

import (
	"context"
	"fmt"
	"strconv"

	"carfin/db"
	"carfin/locale"
	"carfin/notify"
	"carfin/preferences"
)

// docTitle names a statement document in each language.
var docTitle = map[string]string{"en": "Statement", "es": "Estado de cuenta"}

// messages are the statement-ready alerts. They carry no account details
// (no amount, no account number): a message can be read by anyone who
// sees the customer's inbox or phone, and a look-alike of it is a
// phishing lure, so it only says where to look once signed in.
var messages = notify.NewCatalog(map[string]map[string]string{
	"en": {
		"statement.ready": "Your statement is ready\n\n" +
			"Hello {{.Name}},\n\nYour {{.Month}} statement from {{.Lender}} is ready. Sign in to view or download it:\n{{.Link}}\n\n" +
			"We will never ask for your password or account number by email. If you did not expect this message, sign in by typing our address yourself rather than following a link.\n\n— {{.Lender}}",
		"sms.statement.ready": "{{.Lender}}: your {{.Month}} statement is ready. Sign in to view it: {{.Link}} Reply STOP to opt out.",
	},
	"es": {
		"statement.ready": "Su estado de cuenta está listo\n\n" +
			"Hola, {{.Name}}:\n\nSu estado de cuenta de {{.Month}} de {{.Lender}} está listo. Inicie sesión para verlo o descargarlo:\n{{.Link}}\n\n" +
			"Nunca le pediremos su contraseña ni su número de cuenta por correo electrónico. Si no esperaba este mensaje, inicie sesión escribiendo usted mismo nuestra dirección en lugar de seguir un enlace.\n\n— {{.Lender}}",
		"sms.statement.ready": "{{.Lender}}: su estado de cuenta de {{.Month}} está listo. Inicie sesión para verlo: {{.Link}} Responda STOP para no recibir más.",
	},
})

// readyMsg is what a statement-ready message names.
type readyMsg struct{ Name, Lender, Month, Link string }

// notifyReady queues the statement-ready email and text the customer's
// alert choices allow (preferences.StatementReady), in tx.
func (s *Service) notifyReady(ctx context.Context, tx *db.Tx, c customerInfo, x Statement, docID int64, st *Stats) error {
	m := readyMsg{Name: c.name, Lender: s.cfg.Lender.Name, Month: locale.MonthYear(c.lang, x.StatementDate),
		Link: s.cfg.BaseURL + "/documents/" + strconv.FormatInt(docID, 10)}
	if c.email != "" && c.prefs.Allows(preferences.StatementReady, notify.Email) {
		msg, err := messages.Email(c.lang, "statement.ready", m)
		if err != nil {
			panic(fmt.Sprintf("statements: message in %s: %v", c.lang, err))
		}
		msg.To = c.email
		if err := notify.Enqueue(ctx, tx, msg); err != nil {
			return err
		}
		st.Emails++
	}
	if c.prefs.Allows(preferences.StatementReady, notify.SMS) {
		msg, err := messages.SMS(c.lang, "sms.statement.ready", m)
		if err != nil {
			panic(fmt.Sprintf("statements: text in %s: %v", c.lang, err))
		}
		msg.Kind, msg.To = "statement.ready", c.prefs.Phone
		if err := notify.Enqueue(ctx, tx, msg); err != nil {
			return err
		}
		st.Texts++
	}
	return nil
}
