package main

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/auditgraph/auditgraph/internal/devproc"
	"github.com/auditgraph/auditgraph/internal/pgtest"
	"github.com/jackc/pgx/v5"
)

// scratch is a database made for one run and dropped after it.
type scratch struct {
	url      string // of the scratch database
	describe string
	adminURL string
	name     string
	// privateRoot is the directory of the private server this process
	// started, removed once the server is stopped; "" with DATABASE_URL.
	privateRoot string
}

func newScratch(ctx context.Context, databaseURL string) (*scratch, error) {
	s := &scratch{name: fmt.Sprintf("explain_%d_%d", os.Getpid(), time.Now().Unix())}
	if databaseURL != "" {
		if !strings.HasPrefix(databaseURL, "postgres://") && !strings.HasPrefix(databaseURL, "postgresql://") {
			return nil, fmt.Errorf("DATABASE_URL must be a postgres:// URL: plans are PostgreSQL's")
		}
		s.adminURL = databaseURL
	} else {
		fmt.Println("Starting a private PostgreSQL server (set DATABASE_URL to use another one)...")
		s.adminURL = pgtest.ServerDSN()
		if s.adminURL == "" {
			return nil, errors.New("no PostgreSQL: install the PostgreSQL server binaries (Debian: apt-get install postgresql) or set DATABASE_URL")
		}
		root, err := s.serverRoot(ctx)
		if err != nil {
			return nil, err
		}
		s.privateRoot = root
	}
	if err := s.admin(ctx, "CREATE DATABASE "+pgx.Identifier{s.name}.Sanitize()); err != nil {
		s.stopPrivate()
		return nil, fmt.Errorf("create scratch database %s: %w", s.name, err)
	}
	u, err := url.Parse(s.adminURL)
	if err != nil {
		return nil, err
	}
	u.Path, u.RawPath = "/"+s.name, ""
	s.url = u.String()
	s.describe = "scratch database " + s.name + " on " + u.Host
	return s, nil
}

func (s *scratch) admin(ctx context.Context, sql string) error {
	return devproc.Exec(ctx, s.adminURL, sql)
}

// serverRoot finds the directory pgtest made for the private server: the
// parent of its data directory, marked with this process's pid.
func (s *scratch) serverRoot(ctx context.Context) (string, error) {
	var dataDir string
	if err := devproc.QueryRow(ctx, s.adminURL, "SHOW data_directory", &dataDir); err != nil {
		return "", err
	}
	root := filepath.Dir(dataDir)
	owner, err := os.ReadFile(filepath.Join(root, "owner.pid"))
	if err != nil || strings.TrimSpace(string(owner)) != strconv.Itoa(os.Getpid()) || !strings.HasPrefix(filepath.Base(root), "pgtest-") {
		return "", nil // not recognizably ours: leave it to pgtest's own clean-up
	}
	return root, nil
}

func (s *scratch) close() {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if s.privateRoot == "" {
		if err := s.admin(ctx, "DROP DATABASE IF EXISTS "+pgx.Identifier{s.name}.Sanitize()+" WITH (FORCE)"); err != nil {
			fmt.Fprintf(os.Stderr, "explain: dropping %s: %v\n", s.name, err)
		}
		return
	}
	s.stopPrivate()
}

// stopPrivate stops the private server and removes its files, databases
// included: pgtest keeps them for a restart that will not come.
func (s *scratch) stopPrivate() {
	if s.privateRoot == "" || !pgtest.Restartable() {
		return
	}
	pgtest.StopServer()
	if err := os.RemoveAll(s.privateRoot); err != nil {
		fmt.Fprintf(os.Stderr, "explain: removing %s: %v\n", s.privateRoot, err)
	}
}
