package identity

import (
	"context"
	"fmt"

	"carfin/db"
	"carfin/notify"
)

// messageTexts are the emails and texts identity sends, per language:
// subject, then a blank line, then the body (text/template; Lender is
// always set). Links are absolute and expire as stated.
var messageTexts = map[string]map[string]string{
	"en": {
		"unlock":             "Your {{.Lender}} sign-in is locked\n\nHello {{.Name}},\n\nWe locked sign-in to your {{.Lender}} account for {{.Minutes}} minutes after too many wrong passwords.\n\nIf this was you, you can unlock it now:\n{{.Link}}\n\nIf it was not you, someone may know your email address. Your account is safe; consider changing your password after you sign in.\n",
		"unlock_factor":      "Your {{.Lender}} sign-in is locked: change your password\n\nHello {{.Name}},\n\nSomeone entered your {{.Lender}} password correctly, then too many wrong codes at the second step. We locked sign-in for {{.Minutes}} minutes.\n\nIf this was not you, whoever did it knows your password. Choose a new one now (this link works for 30 minutes):\n{{.Link}}\n\nIf it was you, wait {{.Minutes}} minutes and sign in again.\n",
		"factor_blocked":     "Sign-in codes for your {{.Lender}} account are blocked\n\nHello {{.Name}},\n\nSomeone who knows your {{.Lender}} password has tried too many wrong codes at the second step of sign-in. To protect your account, codes are refused until you choose a new password (this link works for 30 minutes; afterwards use \"Forgot your password?\"):\n{{.Link}}\n\nA passkey still signs you in.\n",
		"reset":              "Reset your {{.Lender}} password\n\nHello {{.Name}},\n\nUse this link within 30 minutes to choose a new password:\n{{.Link}}\n\nIf you did not ask for this, ignore this email: your password stays the same.\n",
		"reset_code":         "\n\n{{.Lender}}: your password reset code is {{.Code}}. It expires in 30 minutes. Never share it.",
		"enrol":              "Confirm your email for {{.Lender}} online access\n\nHello {{.Name}},\n\nOpen this link within 60 minutes to choose your password and finish setting up online access:\n{{.Link}}\n\nIf you did not ask for this, ignore this email.\n",
		"enrol_existing":     "Your {{.Lender}} online access\n\nHello {{.Name}},\n\nSomeone asked to set up online access for your account, but you already have it. Sign in at {{.Login}}, or reset your password at {{.Forgot}}.\n\nIf this was not you, no action is needed.\n",
		"login_code":         "Your {{.Lender}} sign-in code\n\nYour sign-in code is {{.Code}}. It expires in 10 minutes. Never share it: {{.Lender}} will never ask you for it.\n",
		"login_code_sms":     "\n\n{{.Lender}}: your sign-in code is {{.Code}}. It expires in 10 minutes. Never share it.",
		"login_alert":        "New sign-in to your {{.Lender}} account\n\nHello {{.Name}},\n\nYour account was signed in to from a new device or place:\n\n  When: {{.When}}\n  Device: {{.Device}}\n  Place: {{.Place}} ({{.IP}})\n\nIf this was you, no action is needed.\n\nIf this wasn't you, open this link: we will sign out every device and ask you to choose a new password.\n{{.WasntMe}}\n",
		"security_change":    "Security change on your {{.Lender}} account\n\nHello {{.Name}},\n\nThis change was made to your account on {{.When}}: {{.Change}}.\n\nIf this wasn't you, open this link: we will sign out every device and ask you to choose a new password.\n{{.WasntMe}}\n",
		"staff_factor_reset": "Two-step verification was reset on your {{.Lender}} account\n\nHello {{.Name}},\n\nOur support team reset two-step verification on your account on {{.When}}: your authenticator app, passkeys and recovery codes were removed, no device is remembered any more, and every device was signed out.\n\nIf you asked for this, sign in with your password and set up two-step verification again on the security page.\n\nIf you did not ask for this, open this link: we will sign out every device and ask you to choose a new password. Then call us.\n{{.WasntMe}}\n",
		"enrol_invite":       "Set up online access to your {{.Lender}} account\n\nHello {{.Name}},\n\nOur support team sent you this invitation to set up online access to your account. Open this link within {{.Hours}} hours to choose your password:\n{{.Link}}\n\nIf you did not ask for this, ignore this email: nothing changes until the link is used.\n",
	},
	"es": {
		"unlock":             "Su acceso a {{.Lender}} está bloqueado\n\nHola, {{.Name}}:\n\nBloqueamos el acceso a su cuenta de {{.Lender}} durante {{.Minutes}} minutos tras demasiadas contraseñas incorrectas.\n\nSi fue usted, puede desbloquearlo ahora:\n{{.Link}}\n\nSi no fue usted, alguien puede conocer su correo electrónico. Su cuenta está segura; considere cambiar su contraseña después de iniciar sesión.\n",
		"unlock_factor":      "Su acceso a {{.Lender}} está bloqueado: cambie su contraseña\n\nHola, {{.Name}}:\n\nAlguien escribió bien su contraseña de {{.Lender}} y después demasiados códigos incorrectos en el segundo paso. Bloqueamos el acceso durante {{.Minutes}} minutos.\n\nSi no fue usted, quien lo hizo conoce su contraseña. Elija una nueva ahora (este enlace vale 30 minutos):\n{{.Link}}\n\nSi fue usted, espere {{.Minutes}} minutos y vuelva a iniciar sesión.\n",
		"factor_blocked":     "Los códigos de acceso de su cuenta de {{.Lender}} están bloqueados\n\nHola, {{.Name}}:\n\nAlguien que conoce su contraseña de {{.Lender}} ha probado demasiados códigos incorrectos en el segundo paso del inicio de sesión. Para proteger su cuenta, rechazamos los códigos hasta que elija una contraseña nueva (este enlace vale 30 minutos; después use \"¿Olvidó su contraseña?\"):\n{{.Link}}\n\nUna llave de acceso sigue permitiéndole entrar.\n",
		"reset":              "Restablezca su contraseña de {{.Lender}}\n\nHola, {{.Name}}:\n\nUse este enlace en los próximos 30 minutos para elegir una contraseña nueva:\n{{.Link}}\n\nSi no lo pidió, ignore este correo: su contraseña no cambia.\n",
		"reset_code":         "\n\n{{.Lender}}: su código para restablecer la contraseña es {{.Code}}. Vence en 30 minutos. No lo comparta.",
		"enrol":              "Confirme su correo para el acceso en línea de {{.Lender}}\n\nHola, {{.Name}}:\n\nAbra este enlace en los próximos 60 minutos para elegir su contraseña y terminar de activar el acceso en línea:\n{{.Link}}\n\nSi no lo pidió, ignore este correo.\n",
		"enrol_existing":     "Su acceso en línea de {{.Lender}}\n\nHola, {{.Name}}:\n\nAlguien pidió activar el acceso en línea de su cuenta, pero usted ya lo tiene. Inicie sesión en {{.Login}} o restablezca su contraseña en {{.Forgot}}.\n\nSi no fue usted, no tiene que hacer nada.\n",
		"login_code":         "Su código de acceso a {{.Lender}}\n\nSu código de acceso es {{.Code}}. Vence en 10 minutos. No lo comparta: {{.Lender}} nunca se lo pedirá.\n",
		"login_code_sms":     "\n\n{{.Lender}}: su código de acceso es {{.Code}}. Vence en 10 minutos. No lo comparta.",
		"login_alert":        "Nuevo inicio de sesión en su cuenta de {{.Lender}}\n\nHola, {{.Name}}:\n\nSe inició sesión en su cuenta desde un dispositivo o lugar nuevo:\n\n  Cuándo: {{.When}}\n  Dispositivo: {{.Device}}\n  Lugar: {{.Place}} ({{.IP}})\n\nSi fue usted, no tiene que hacer nada.\n\nSi no fue usted, abra este enlace: cerraremos la sesión en todos los dispositivos y le pediremos una contraseña nueva.\n{{.WasntMe}}\n",
		"security_change":    "Cambio de seguridad en su cuenta de {{.Lender}}\n\nHola, {{.Name}}:\n\nSe hizo este cambio en su cuenta el {{.When}}: {{.Change}}.\n\nSi no fue usted, abra este enlace: cerraremos la sesión en todos los dispositivos y le pediremos una contraseña nueva.\n{{.WasntMe}}\n",
		"staff_factor_reset": "Se restableció la verificación en dos pasos de su cuenta de {{.Lender}}\n\nHola, {{.Name}}:\n\nNuestro equipo de soporte restableció la verificación en dos pasos de su cuenta el {{.When}}: se quitaron su aplicación de autenticación, sus llaves de acceso y sus códigos de recuperación, ya no se recuerda ningún dispositivo y se cerró la sesión en todos los dispositivos.\n\nSi usted lo pidió, inicie sesión con su contraseña y vuelva a activar la verificación en dos pasos en la página de seguridad.\n\nSi no lo pidió, abra este enlace: cerraremos la sesión en todos los dispositivos y le pediremos una contraseña nueva. Después llámenos.\n{{.WasntMe}}\n",
		"enrol_invite":       "Active el acceso en línea de su cuenta de {{.Lender}}\n\nHola, {{.Name}}:\n\nNuestro equipo de soporte le envió esta invitación para activar el acceso en línea de su cuenta. Abra este enlace en las próximas {{.Hours}} horas para elegir su contraseña:\n{{.Link}}\n\nSi no lo pidió, ignore este correo: nada cambia hasta que se use el enlace.\n",
	},
}

// changeNames are the words for security changes in alerts.
var changeNames = map[string]map[string]string{
	"en": {"password": "your password was changed", "totp_on": "an authenticator app was added", "totp_off": "the authenticator app was removed",
		"passkey_on": "a passkey was added", "passkey_off": "a passkey was removed", "recovery_codes": "new recovery codes were made"},
	"es": {"password": "se cambió su contraseña", "totp_on": "se añadió una aplicación de autenticación", "totp_off": "se quitó la aplicación de autenticación",
		"passkey_on": "se añadió una llave de acceso", "passkey_off": "se quitó una llave de acceso", "recovery_codes": "se generaron nuevos códigos de recuperación"},
}

// messages is messageTexts and contactTexts as one catalog.
var messages = notify.NewCatalog(func() map[string]map[string]string {
	m := map[string]map[string]string{}
	for _, texts := range []map[string]map[string]string{messageTexts, contactTexts} {
		for lang, kinds := range texts {
			if m[lang] == nil {
				m[lang] = map[string]string{}
			}
			for kind, text := range kinds {
				m[lang][kind] = text
			}
		}
	}
	return m
}())

func msgLang(lang string) string { return notify.Lang(lang) }

// message renders kind in lang (Lender is always set) as an email, or as
// a text message when ch is notify.SMS, addressed to to.
func (s *Service) message(ch notify.Channel, to, kind, lang string, vars map[string]string) (notify.Message, error) {
	v := map[string]string{"Lender": s.lender}
	for k, val := range vars {
		v[k] = val
	}
	render := messages.Email
	if ch == notify.SMS {
		render = messages.SMS
	}
	m, err := render(lang, kind, v)
	if err != nil {
		return m, fmt.Errorf("message %s: %w", kind, err)
	}
	m.Kind, m.To = "identity."+kind, to
	return m, nil
}

// send queues an email in tx.
func (s *Service) send(ctx context.Context, tx *db.Tx, to, kind, lang string, vars map[string]string) error {
	m, err := s.message(notify.Email, to, kind, lang, vars)
	if err != nil {
		return err
	}
	return notify.Enqueue(ctx, tx, m)
}

// sendSMS queues a text message in tx.
func (s *Service) sendSMS(ctx context.Context, tx *db.Tx, phone, kind, lang string, vars map[string]string) error {
	m, err := s.message(notify.SMS, phone, kind, lang, vars)
	if err != nil {
		return err
	}
	return notify.Enqueue(ctx, tx, m)
}
