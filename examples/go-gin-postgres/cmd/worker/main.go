// Command worker cancels orders left unpaid for too long.
package main

import (
	"context"
	"log"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/acme/orders/internal/orders"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()

	every := os.Getenv("WORKER_INTERVAL")
	if every == "" {
		every = "1m"
	}
	interval, err := time.ParseDuration(every)
	if err != nil || interval <= 0 {
		log.Fatalf("WORKER_INTERVAL %q is not a positive duration", every)
	}

	pool, err := pgxpool.New(ctx, os.Getenv("DATABASE_URL"))
	if err != nil {
		log.Fatalf("database: %v", err)
	}
	defer pool.Close()
	store := orders.NewStore(pool)

	ticker := time.NewTicker(interval)
	defer ticker.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-ticker.C:
			n, err := store.CancelStale(ctx, 30*time.Minute)
			if err != nil {
				log.Printf("cancel stale orders: %v", err)
				continue
			}
			if n > 0 {
				log.Printf("cancelled %d stale orders", n)
			}
		}
	}
}
