// Package orders stores orders in Postgres and serves them over HTTP.
package orders

import (
	"context"
	"errors"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

// ErrNotFound is returned when no order has the requested id.
var ErrNotFound = errors.New("order not found")

// Order is one customer order.
type Order struct {
	ID         int64     `json:"id" db:"id"`
	Customer   string    `json:"customer" db:"customer"`
	TotalCents int64     `json:"total_cents" db:"total_cents"`
	Status     string    `json:"status" db:"status"`
	CreatedAt  time.Time `json:"created_at" db:"created_at"`
}

// Store reads and writes orders.
type Store struct {
	pool *pgxpool.Pool
}

// NewStore returns a Store over a connection pool.
func NewStore(pool *pgxpool.Pool) *Store {
	return &Store{pool: pool}
}

const columns = "id, customer, total_cents, status, created_at"

// List returns the most recent orders, newest first.
func (s *Store) List(ctx context.Context, limit int) ([]Order, error) {
	rows, err := s.pool.Query(ctx, "SELECT "+columns+" FROM orders ORDER BY created_at DESC LIMIT $1", limit)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, pgx.RowToStructByName[Order])
}

// Get returns one order.
func (s *Store) Get(ctx context.Context, id int64) (Order, error) {
	rows, err := s.pool.Query(ctx, "SELECT "+columns+" FROM orders WHERE id = $1", id)
	if err != nil {
		return Order{}, err
	}
	order, err := pgx.CollectOneRow(rows, pgx.RowToStructByName[Order])
	if errors.Is(err, pgx.ErrNoRows) {
		return Order{}, ErrNotFound
	}
	return order, err
}

// Create inserts a pending order and returns it.
func (s *Store) Create(ctx context.Context, customer string, totalCents int64) (Order, error) {
	rows, err := s.pool.Query(ctx,
		"INSERT INTO orders (customer, total_cents, status) VALUES ($1, $2, 'pending') RETURNING "+columns,
		customer, totalCents)
	if err != nil {
		return Order{}, err
	}
	return pgx.CollectOneRow(rows, pgx.RowToStructByName[Order])
}

// CancelStale cancels pending orders older than maxAge and returns how many it cancelled.
func (s *Store) CancelStale(ctx context.Context, maxAge time.Duration) (int64, error) {
	tag, err := s.pool.Exec(ctx,
		"UPDATE orders SET status = 'cancelled' WHERE status = 'pending' AND created_at < $1",
		time.Now().Add(-maxAge))
	if err != nil {
		return 0, err
	}
	return tag.RowsAffected(), nil
}
