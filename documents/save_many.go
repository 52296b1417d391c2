package documents

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"regexp"
	"strings"

	"carfin/db"
)

// saveManyMax bounds one SaveMany: the rows of one INSERT, under both
// engines' limits on parameters (11 per row).
const saveManyMax = 1000

// SaveMany stores documents of one kind, each with a ref, in tx, in one
// statement: a month's statements are written in batches. It returns
// their ids in order; a document whose kind and ref are stored already is
// not stored again and its id is returned (as Save). It returns
// ErrInvalid for a document Save would refuse, for one without a ref, for
// a kind that is not lower-case letters, digits and "_" (carfin's kinds
// are), and for more than saveManyMax; nothing is written then.
func SaveMany(ctx context.Context, tx *db.Tx, ds []Document) ([]int64, error) {
	if len(ds) == 0 {
		return nil, nil
	}
	if len(ds) > saveManyMax {
		return nil, fmt.Errorf("save %d documents at once, at most %d: %w", len(ds), saveManyMax, ErrInvalid)
	}
	kind := ds[0].Kind
	for _, d := range ds {
		if err := validate(d); err != nil {
			return nil, err
		}
		if d.Ref == "" || d.Kind != kind {
			return nil, fmt.Errorf("save documents: each needs a ref and the same kind: %w", ErrInvalid)
		}
	}
	ids, err := idsByRef(ctx, tx, kind, ds)
	if err != nil {
		return nil, err
	}
	var fresh []Document
	for _, d := range ds {
		if ids[d.Ref] == 0 {
			fresh = append(fresh, d)
			ids[d.Ref] = -1 // stored twice in one call: once
		}
	}
	if len(fresh) > 0 {
		if err := insertMany(ctx, tx, fresh); err != nil {
			return nil, fmt.Errorf("save %d documents: %w", len(fresh), err)
		}
		if ids, err = idsByRef(ctx, tx, kind, ds); err != nil {
			return nil, err
		}
	}
	out := make([]int64, len(ds))
	for i, d := range ds {
		if out[i] = ids[d.Ref]; out[i] <= 0 {
			panic(fmt.Sprintf("documents: %s %q stored without an id", kind, d.Ref))
		}
	}
	return out, nil
}

// insertMany inserts the documents: on PostgreSQL from arrays, one
// parameter a column (a VALUES list of thousands of parameters costs the
// server more to parse and plan than to store the rows); on SQLite as a
// VALUES list.
func insertMany(ctx context.Context, tx *db.Tx, ds []Document) error {
	now := tx.Now()
	if tx.Engine() == db.Postgres {
		n := len(ds)
		customer, size := make([]int64, n), make([]int64, n)
		contract := make([]*int64, n)
		kind, title, file, ctype, sum, ref := make([]string, n), make([]string, n), make([]string, n), make([]string, n), make([]string, n), make([]string, n)
		content := make([][]byte, n)
		for i, d := range ds {
			h := sha256.Sum256(d.Content)
			customer[i], size[i], content[i] = d.CustomerID, int64(len(d.Content)), d.Content
			kind[i], title[i], file[i], ctype[i], sum[i], ref[i] = d.Kind, d.Title, d.FileName, d.ContentType, hex.EncodeToString(h[:]), d.Ref
			if d.ContractID != 0 {
				contract[i] = &ds[i].ContractID
			}
		}
		_, err := tx.ExecContext(ctx, `INSERT INTO documents (customer_id, contract_id, kind, title, file_name, content_type, size_bytes, sha256, content, ref, created_at)
			SELECT v.*, $11::timestamptz FROM unnest($1::bigint[], $2::bigint[], $3::text[], $4::text[], $5::text[], $6::text[], $7::bigint[],
				$8::text[], $9::bytea[], $10::text[]) AS v`, customer, contract, kind, title, file, ctype, size, sum, content, ref, now)
		return err
	}
	var b strings.Builder
	b.WriteString(`INSERT INTO documents (customer_id, contract_id, kind, title, file_name, content_type, size_bytes, sha256, content, ref, created_at) VALUES `)
	var args []any
	for i, d := range ds {
		if i > 0 {
			b.WriteString(", ")
		}
		n := len(args)
		fmt.Fprintf(&b, "($%d, $%d, $%d, $%d, $%d, $%d, $%d, $%d, $%d, $%d, $%d)", n+1, n+2, n+3, n+4, n+5, n+6, n+7, n+8, n+9, n+10, n+11)
		sum := sha256.Sum256(d.Content)
		var contract any
		if d.ContractID != 0 {
			contract = d.ContractID
		}
		args = append(args, d.CustomerID, contract, d.Kind, d.Title, d.FileName, d.ContentType, len(d.Content), hex.EncodeToString(sum[:]),
			d.Content, d.Ref, now)
	}
	_, err := tx.ExecContext(ctx, b.String(), args...)
	return err
}

var kindPattern = regexp.MustCompile(`^[a-z0-9_]{1,40}$`)

// idsByRef maps the refs of ds already stored (kind kind) to their ids.
func idsByRef(ctx context.Context, tx *db.Tx, kind string, ds []Document) (map[string]int64, error) {
	refs := make([]string, len(ds))
	for i, d := range ds {
		refs[i] = d.Ref
	}
	// The kind is written into the text (InList takes no other
	// parameter) so that the (kind, ref) index finds the rows; kinds are
	// carfin's own constants, checked here all the same.
	if !kindPattern.MatchString(kind) {
		return nil, fmt.Errorf("document kind %q: %w", kind, ErrInvalid)
	}
	where, args := db.InList(tx, "ref", refs)
	rows, err := tx.QueryContext(ctx, `SELECT id, kind, ref FROM documents WHERE kind = '`+kind+`' AND ref <> '' AND `+where, args...)
	if err != nil {
		return nil, fmt.Errorf("documents by ref: %w", err)
	}
	defer rows.Close()
	out := make(map[string]int64, len(ds))
	for rows.Next() {
		var id int64
		var k, ref string
		if err := rows.Scan(&id, &k, &ref); err != nil {
			return nil, err
		}
		if k == kind {
			out[ref] = id
		}
	}
	return out, rows.Err()
}
