package profile

import (
	"context"
	"fmt"

	"carfin/db"
	"carfin/notify"
)

// messageTexts are the emails the profile sends, per language: subject, a
// blank line, then the body (text/template; Lender is always set). They
// are notices the customer cannot switch off (preferences.Security).
var messageTexts = map[string]map[string]string{
	"en": {
		"address_changed": "Your mailing address with {{.Lender}} was changed\n\nHello {{.Name}},\n\nThe mailing address on your {{.Lender}} account was changed on {{.When}} to:\n\n  {{.Address}}\n\nIf you made this change, no action is needed. If you did not, call us right away and change your password.\n",
		"esign_given":     "You chose paperless delivery with {{.Lender}}\n\nHello {{.Name}},\n\nOn {{.When}} you agreed to receive your documents from {{.Lender}} electronically (disclosure version {{.Version}}). You can go back to paper at any time, at no charge, on the Paperless page of your profile. For your records, this is what you agreed to:\n\n{{.Disclosure}}\n",
		"esign_withdrawn": "You went back to paper with {{.Lender}}\n\nHello {{.Name}},\n\nOn {{.When}} you withdrew your consent to electronic delivery. We will mail your documents on paper again, at no charge. You can choose paperless delivery again at any time in your profile.\n",
	},
	"es": {
		"address_changed": "Se cambió su dirección postal en {{.Lender}}\n\nHola, {{.Name}}:\n\nLa dirección postal de su cuenta de {{.Lender}} se cambió el {{.When}} a:\n\n  {{.Address}}\n\nSi hizo usted este cambio, no tiene que hacer nada. Si no, llámenos de inmediato y cambie su contraseña.\n",
		"esign_given":     "Eligió la entrega sin papel con {{.Lender}}\n\nHola, {{.Name}}:\n\nEl {{.When}} aceptó recibir sus documentos de {{.Lender}} electrónicamente (versión de la divulgación {{.Version}}). Puede volver al papel en cualquier momento, sin cargo, en la página Sin papel de su perfil. Para sus registros, esto es lo que aceptó:\n\n{{.Disclosure}}\n",
		"esign_withdrawn": "Volvió al papel con {{.Lender}}\n\nHola, {{.Name}}:\n\nEl {{.When}} retiró su consentimiento para la entrega electrónica. Volveremos a enviarle sus documentos en papel por correo, sin cargo. Puede elegir de nuevo la entrega sin papel en cualquier momento en su perfil.\n",
	},
}

var messages = notify.NewCatalog(messageTexts)

// send queues an email in tx.
func (s *Service) send(ctx context.Context, tx *db.Tx, to, kind, lang string, vars map[string]string) error {
	v := map[string]string{"Lender": s.lender}
	for k, val := range vars {
		v[k] = val
	}
	m, err := messages.Email(lang, kind, v)
	if err != nil {
		return fmt.Errorf("message %s: %w", kind, err)
	}
	m.Kind, m.To = "profile."+kind, to
	return notify.Enqueue(ctx, tx, m)
}
