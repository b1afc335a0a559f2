package db

import (
	"context"
	"database/sql/driver"
	"errors"
	"io"
	"net"
	"strings"
	"syscall"

	"github.com/jackc/pgx/v5/pgconn"
)

// IsUnavailable reports whether err means the database could not be reached
// or did not answer in time, rather than that the statement was wrong: a
// refused or broken connection, a connect error, a server shutting down or
// out of connections, a statement cancelled by statement_timeout, or a
// deadline that ran out while waiting for the database. Callers answer these
// with SERVICE_UNAVAILABLE (503) instead of an internal error.
func IsUnavailable(err error) bool {
	if err == nil {
		return false
	}
	if errors.Is(err, context.DeadlineExceeded) || errors.Is(err, driver.ErrBadConn) ||
		errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) ||
		errors.Is(err, syscall.ECONNREFUSED) || errors.Is(err, syscall.ECONNRESET) ||
		errors.Is(err, syscall.EPIPE) || errors.Is(err, net.ErrClosed) {
		return true
	}
	var connectErr *pgconn.ConnectError
	if errors.As(err, &connectErr) {
		return true
	}
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		switch pgErr.Code[:min(2, len(pgErr.Code))] {
		case "08", // connection exception
			"53", // insufficient resources (too many connections)
			"57": // operator intervention: shutdown, statement_timeout (57014)
			return true
		}
		return false
	}
	var netErr net.Error
	if errors.As(err, &netErr) {
		return true
	}
	if pgconn.Timeout(err) {
		return true
	}
	msg := err.Error()
	for _, s := range []string{
		"conn closed", "conn busy", "connection refused", "connection reset",
		"broken pipe", "unexpected EOF", "failed to connect",
		"SQLITE_BUSY", "database is locked",
	} {
		if strings.Contains(msg, s) {
			return true
		}
	}
	return false
}
