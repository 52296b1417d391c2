package console

import (
	"crypto/rand"
	"encoding/base64"
	"errors"
	"net/http"
	"strconv"
	"strings"

	"carfin/approvals"
	"carfin/money"
	"carfin/staff"
)

// kindActions is the role table's action for requesting each kind.
var kindActions = map[approvals.Kind]staff.Action{
	approvals.FeeWaiver:         staff.RequestWaiver,
	approvals.PaymentReversal:   staff.RequestReversal,
	approvals.BalanceAdjustment: staff.RequestAdjustment,
	approvals.ReturnReview:      staff.RequestReturnReview,
}

// kindLabels name the kinds on the console's pages.
var kindLabels = map[approvals.Kind]string{
	approvals.FeeWaiver:         "Fee waiver",
	approvals.PaymentReversal:   "Payment reversal",
	approvals.BalanceAdjustment: "Balance adjustment",
	approvals.ReturnReview:      "Return review",
}

func kindLabel(k approvals.Kind) string {
	if l, ok := kindLabels[k]; ok {
		return l
	}
	return string(k)
}

// approver is the signed-in member as package approvals names staff.
func approver(r *http.Request) approvals.Staff {
	m := memberOf(r)
	return approvals.Staff{LoginID: strconv.FormatInt(m.LoginID, 10), Role: string(m.Role)}
}

// ceilings are what role may request and approve of kind (0 and false:
// nothing), from approvals.Policies.
func ceilings(role staff.Role, kind approvals.Kind) (request money.Cents, mayRequest bool, approve money.Cents, mayApprove bool) {
	p := approvals.Policies[string(role)]
	request, mayRequest = p.RequestCentsMax[kind]
	approve, mayApprove = p.ApproveCentsMax[kind]
	return
}

// errDollars is an amount that is not dollars and cents.
var errDollars = errors.New("enter an amount in dollars and cents, like 25.00")

// parseDollars reads an amount typed in a form ("25", "25.00", "$1,250.50",
// "-10.00" where signed is true) into cents, never through a float.
func parseDollars(s string, signed bool) (money.Cents, error) {
	s = strings.TrimSpace(s)
	neg := strings.HasPrefix(s, "-")
	if neg {
		if !signed {
			return 0, errDollars
		}
		s = strings.TrimSpace(s[1:])
	}
	s = strings.TrimPrefix(s, "$")
	s = strings.ReplaceAll(s, ",", "")
	if s == "" || strings.HasPrefix(s, "-") {
		return 0, errDollars
	}
	c, err := money.Parse(s)
	if err != nil {
		return 0, errDollars
	}
	if neg {
		c = -c
	}
	return c, nil
}

// formKeyBytes is the entropy of a form's idempotency key.
const formKeyBytes = 18

// formKey is a fresh idempotency key rendered into a form, so that
// submitting the same form twice makes one change.
func formKey() string {
	b := make([]byte, formKeyBytes)
	_, _ = rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

// pathInt64 reads a positive integer path value (ok false otherwise).
func pathInt64(r *http.Request, name string) (int64, bool) {
	id, err := strconv.ParseInt(r.PathValue(name), 10, 64)
	return id, err == nil && id > 0
}
