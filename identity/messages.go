package identity

import (
	"context"
	"fmt"
	"strings"
	"text/template"

	"carfin/db"
	"carfin/notify"
)

// messageTexts are the emails and texts identity sends, per language:
// subject, then a blank line, then the body (text/template; Lender is
// always set). Links are absolute and expire as stated.
var messageTexts = map[string]map[string]string{
	"en": {
		"unlock":          "Your {{.Lender}} sign-in is locked\n\nHello {{.Name}},\n\nWe locked sign-in to your {{.Lender}} account for {{.Minutes}} minutes after too many wrong passwords.\n\nIf this was you, you can unlock it now:\n{{.Link}}\n\nIf it was not you, someone may know your email address. Your account is safe; consider changing your password after you sign in.\n",
		"reset":           "Reset your {{.Lender}} password\n\nHello {{.Name}},\n\nUse this link within 30 minutes to choose a new password:\n{{.Link}}\n\nIf you did not ask for this, ignore this email: your password stays the same.\n",
		"reset_code":      "\n\n{{.Lender}}: your password reset code is {{.Code}}. It expires in 30 minutes. Never share it.",
		"enrol":           "Confirm your email for {{.Lender}} online access\n\nHello {{.Name}},\n\nOpen this link within 60 minutes to choose your password and finish setting up online access:\n{{.Link}}\n\nIf you did not ask for this, ignore this email.\n",
		"enrol_existing":  "Your {{.Lender}} online access\n\nHello {{.Name}},\n\nSomeone asked to set up online access for your account, but you already have it. Sign in at {{.Login}}, or reset your password at {{.Forgot}}.\n\nIf this was not you, no action is needed.\n",
		"login_code":      "Your {{.Lender}} sign-in code\n\nYour sign-in code is {{.Code}}. It expires in 10 minutes. Never share it: {{.Lender}} will never ask you for it.\n",
		"login_code_sms":  "\n\n{{.Lender}}: your sign-in code is {{.Code}}. It expires in 10 minutes. Never share it.",
		"login_alert":     "New sign-in to your {{.Lender}} account\n\nHello {{.Name}},\n\nYour account was signed in to from a new device or place:\n\n  When: {{.When}}\n  Device: {{.Device}}\n  Place: {{.Place}} ({{.IP}})\n\nIf this was you, no action is needed.\n\nIf this wasn't you, open this link: we will sign out every device and ask you to choose a new password.\n{{.WasntMe}}\n",
		"security_change": "Security change on your {{.Lender}} account\n\nHello {{.Name}},\n\nThis change was made to your account on {{.When}}: {{.Change}}.\n\nIf this wasn't you, open this link: we will sign out every device and ask you to choose a new password.\n{{.WasntMe}}\n",
	},
	"es": {
		"unlock":          "Su acceso a {{.Lender}} está bloqueado\n\nHola, {{.Name}}:\n\nBloqueamos el acceso a su cuenta de {{.Lender}} durante {{.Minutes}} minutos tras demasiadas contraseñas incorrectas.\n\nSi fue usted, puede desbloquearlo ahora:\n{{.Link}}\n\nSi no fue usted, alguien puede conocer su correo electrónico. Su cuenta está segura; considere cambiar su contraseña después de iniciar sesión.\n",
		"reset":           "Restablezca su contraseña de {{.Lender}}\n\nHola, {{.Name}}:\n\nUse este enlace en los próximos 30 minutos para elegir una contraseña nueva:\n{{.Link}}\n\nSi no lo pidió, ignore este correo: su contraseña no cambia.\n",
		"reset_code":      "\n\n{{.Lender}}: su código para restablecer la contraseña es {{.Code}}. Vence en 30 minutos. No lo comparta.",
		"enrol":           "Confirme su correo para el acceso en línea de {{.Lender}}\n\nHola, {{.Name}}:\n\nAbra este enlace en los próximos 60 minutos para elegir su contraseña y terminar de activar el acceso en línea:\n{{.Link}}\n\nSi no lo pidió, ignore este correo.\n",
		"enrol_existing":  "Su acceso en línea de {{.Lender}}\n\nHola, {{.Name}}:\n\nAlguien pidió activar el acceso en línea de su cuenta, pero usted ya lo tiene. Inicie sesión en {{.Login}} o restablezca su contraseña en {{.Forgot}}.\n\nSi no fue usted, no tiene que hacer nada.\n",
		"login_code":      "Su código de acceso a {{.Lender}}\n\nSu código de acceso es {{.Code}}. Vence en 10 minutos. No lo comparta: {{.Lender}} nunca se lo pedirá.\n",
		"login_code_sms":  "\n\n{{.Lender}}: su código de acceso es {{.Code}}. Vence en 10 minutos. No lo comparta.",
		"login_alert":     "Nuevo inicio de sesión en su cuenta de {{.Lender}}\n\nHola, {{.Name}}:\n\nSe inició sesión en su cuenta desde un dispositivo o lugar nuevo:\n\n  Cuándo: {{.When}}\n  Dispositivo: {{.Device}}\n  Lugar: {{.Place}} ({{.IP}})\n\nSi fue usted, no tiene que hacer nada.\n\nSi no fue usted, abra este enlace: cerraremos la sesión en todos los dispositivos y le pediremos una contraseña nueva.\n{{.WasntMe}}\n",
		"security_change": "Cambio de seguridad en su cuenta de {{.Lender}}\n\nHola, {{.Name}}:\n\nSe hizo este cambio en su cuenta el {{.When}}: {{.Change}}.\n\nSi no fue usted, abra este enlace: cerraremos la sesión en todos los dispositivos y le pediremos una contraseña nueva.\n{{.WasntMe}}\n",
	},
}

// changeNames are the words for security changes in alerts.
var changeNames = map[string]map[string]string{
	"en": {"password": "your password was changed", "totp_on": "an authenticator app was added", "totp_off": "the authenticator app was removed",
		"passkey_on": "a passkey was added", "passkey_off": "a passkey was removed", "recovery_codes": "new recovery codes were made"},
	"es": {"password": "se cambió su contraseña", "totp_on": "se añadió una aplicación de autenticación", "totp_off": "se quitó la aplicación de autenticación",
		"passkey_on": "se añadió una llave de acceso", "passkey_off": "se quitó una llave de acceso", "recovery_codes": "se generaron nuevos códigos de recuperación"},
}

var messageTemplates = func() map[string]*template.Template {
	m := map[string]*template.Template{}
	for lang, kinds := range messageTexts {
		for kind, text := range kinds {
			m[lang+"/"+kind] = template.Must(template.New(kind).Option("missingkey=error").Parse(text))
		}
	}
	return m
}()

func msgLang(lang string) string {
	if _, ok := messageTexts[lang]; ok {
		return lang
	}
	return "en"
}

// render returns the subject and body of a message.
func (s *Service) render(kind, lang string, vars map[string]string) (string, string, error) {
	lang = msgLang(lang)
	t := messageTemplates[lang+"/"+kind]
	if t == nil {
		return "", "", fmt.Errorf("no message %q", kind)
	}
	v := map[string]string{"Lender": s.lender}
	for k, val := range vars {
		v[k] = val
	}
	var b strings.Builder
	if err := t.Execute(&b, v); err != nil {
		return "", "", fmt.Errorf("message %s: %w", kind, err)
	}
	subject, body, _ := strings.Cut(b.String(), "\n\n")
	return subject, body, nil
}

// send queues an email in tx.
func (s *Service) send(ctx context.Context, tx *db.Tx, to, kind, lang string, vars map[string]string) error {
	subject, body, err := s.render(kind, lang, vars)
	if err != nil {
		return err
	}
	return notify.Enqueue(ctx, tx, notify.Message{Channel: notify.Email, Kind: "identity." + kind, To: to, Subject: subject, Text: body})
}

// sendSMS queues a text message in tx.
func (s *Service) sendSMS(ctx context.Context, tx *db.Tx, phone, kind, lang string, vars map[string]string) error {
	_, body, err := s.render(kind, lang, vars)
	if err != nil {
		return err
	}
	return notify.Enqueue(ctx, tx, notify.Message{Channel: notify.SMS, Kind: "identity." + kind, To: phone, Text: strings.TrimSpace(body)})
}
