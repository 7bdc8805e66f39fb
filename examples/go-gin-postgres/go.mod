module github.com/acme/orders

go 1.23

toolchain go1.23.4

require (
	github.com/gin-gonic/gin v1.10.0
	github.com/jackc/pgx/v5 v5.7.1
)
