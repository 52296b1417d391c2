package jobs

import (
	"context"
	"database/sql"

	"github.com/jackc/pgx/v5"
	"github.com/riverqueue/river"
)

type (
	pgxTx = pgx.Tx
	sqlTx = *sql.Tx
)

// clientInserter adapts a River client of either transaction type.
type clientInserter[TTx any] struct{ c *river.Client[TTx] }

func (ci clientInserter[TTx]) Insert(ctx context.Context, args river.JobArgs, opts *river.InsertOpts) error {
	_, err := ci.c.Insert(ctx, args, opts)
	return err
}

func (ci clientInserter[TTx]) InsertMany(ctx context.Context, args []river.JobArgs, opts *river.InsertOpts) error {
	if len(args) == 0 {
		return nil
	}
	params := make([]river.InsertManyParams, len(args))
	for i, a := range args {
		params[i] = river.InsertManyParams{Args: a, InsertOpts: opts}
	}
	_, err := ci.c.InsertMany(ctx, params)
	return err
}
